print("rolloutd")
