/// Vocabulary of SPEC §1, shared by the rules, the store and the CLI.
/// Raw values are the spellings used in documents, the database and `--json` output.

/// Device platforms. Desktop ones are under release management; mobile ones never are (CAD-7).
public enum Platform: String, CaseIterable, Codable, Sendable {
    case windows, macos, linux, ios, android

    public var isDesktop: Bool {
        switch self {
        case .windows, .macos, .linux: true
        case .ios, .android: false
        }
    }
}

/// Product generation of an organisation or of an endpoint's agent (UPG).
public enum Generation: String, CaseIterable, Codable, Sendable {
    case legacy, cloud
}

/// A user's automatic-upgrades switch (CAD-6).
public enum AutomaticUpgrades: String, CaseIterable, Codable, Sendable {
    case inherit, on, off
}

/// Who set an organisation-level schedule (CAD-4).
public enum Actor: String, CaseIterable, Codable, Sendable {
    case partner, customer
}

/// Endpoint upgrade policy of a partner (UPG-5).
public enum UpgradePolicy: String, CaseIterable, Codable, Sendable {
    case automatic, manual
}

/// Notification text language, from the partner (NOT-2).
public enum Language: String, CaseIterable, Codable, Sendable {
    case en, fr
}

/// Endpoint lifecycle in the upgrade programme (UPG-6).
public enum EndpointUpgradeState: String, CaseIterable, Codable, Sendable {
    case pending, notified, deferred, installing
    case restartRequired = "restart_required"
    case upgraded, failed
}

/// Distributor order state (UPG-4).
public enum OrderState: String, CaseIterable, Codable, Sendable {
    case ordered, processed, failed
}
