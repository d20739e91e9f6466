print("rolloutctl")
