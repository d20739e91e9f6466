import Foundation

/// Builds a state document (docs/state-document.md) for the upgrade-programme scenarios: each
/// test declares only the partners, organisations, users and endpoints it is about. Endpoints
/// are ready by default (supported OS, agent 14.2.0, checked in at `UpgradeDocument.checkIn`);
/// a test overrides only the fact that makes one not ready.
struct UpgradeDocument {
    private var partners: [[String: Any]] = []
    private var organisations: [[String: Any]] = []
    private var users: [[String: Any]] = []
    private var endpoints: [[String: Any]] = []

    /// The default last check-in of an endpoint: recent for the 2026 autumn scenarios.
    static let checkIn = "2026-09-10T00:00:00Z"

    /// A supported OS version per platform (UPG-3 defaults: windows 10.0.17763+, macos 12+, linux 4.18+).
    static func supportedOS(_ platform: String) -> String {
        switch platform {
        case "windows": "10.0.19045"
        case "macos": "14.5"
        case "linux": "5.15"
        case "ios": "17.4"
        default: "14"
        }
    }

    init() {}

    mutating func partner(_ id: String, name: String? = nil, locale: String = "en", policy: String = "automatic",
                          delayDays: Int? = nil, deferralDays: Int? = nil, billingDay: Int = 1) {
        var object: [String: Any] = ["id": id, "name": name ?? id, "locale": locale, "upgrade_policy": policy,
                                     "billing_day": billingDay]
        if let delayDays { object["upgrade_delay_days"] = delayDays }
        if let deferralDays { object["end_user_deferral_days"] = deferralDays }
        partners.append(object)
    }

    mutating func organisation(_ id: String, name: String? = nil, partners managing: [String], generation: String = "legacy",
                               delayDays: Int? = nil, policyFeatures: [String] = []) {
        var object: [String: Any] = ["id": id, "name": name ?? id, "partners": managing, "generation": generation,
                                     "policy_features": policyFeatures]
        if let delayDays { object["upgrade_delay_days"] = delayDays }
        organisations.append(object)
    }

    mutating func user(_ id: String, organisation: String) {
        users.append(["id": id, "organisation": organisation])
    }

    /// An endpoint, ready unless told otherwise; pass nil to leave a fact unknown.
    mutating func endpoint(_ id: String, organisation: String, platform: String = "windows", os: String? = "",
                           agent: String? = "14.2.0", checkIn: String? = Self.checkIn, user: String? = nil) {
        var object: [String: Any] = ["id": id, "organisation": organisation, "platform": platform, "installed_version": "45.2.0"]
        let osVersion = os == "" ? Self.supportedOS(platform) : os
        if let osVersion { object["os_version"] = osVersion }
        if let agent { object["agent_version"] = agent }
        if let checkIn { object["last_check_in"] = checkIn }
        if let user { object["user"] = user }
        endpoints.append(object)
    }

    func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "partners": partners, "organisations": organisations, "users": users, "endpoints": endpoints,
        ])
    }

    /// A fleet document written as text (JSONSerialization of 100,000 objects is slow in debug
    /// builds): one partner, one organisation, `count` endpoints, every `mobileEvery`-th an
    /// iPhone, the others spread over the three desktop platforms. Returns the document and the
    /// number of desktop endpoints.
    static func fleet(partner: String, organisation: String, count: Int, mobileEvery: Int, delayDays: Int = 30,
                      checkIn: String = Self.checkIn) -> (data: Data, desktop: Int) {
        var text = """
            {"partners":[{"id":"\(partner)","billing_day":1,"upgrade_delay_days":\(delayDays)}],
             "organisations":[{"id":"\(organisation)","partners":["\(partner)"]}],
             "endpoints":[
            """
        text.reserveCapacity(count * 170)
        var desktop = 0
        let platforms = ["windows", "macos", "linux"]
        for index in 0..<count {
            let platform: String
            if index % mobileEvery == mobileEvery - 1 {
                platform = "ios"
            } else {
                platform = platforms[index % 3]
                desktop += 1
            }
            if index > 0 { text += "," }
            text += #"{"id":"e-\#(index)","organisation":"\#(organisation)","platform":"\#(platform)","#
                + #""os_version":"\#(supportedOS(platform))","installed_version":"45.2.0","agent_version":"14.2.0","#
                + #""last_check_in":"\#(checkIn)"}"#
        }
        text += "]}"
        return (Data(text.utf8), desktop)
    }
}
