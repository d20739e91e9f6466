/// One text in every notification language (NOT-2): readiness reasons and anything else the
/// daemon shows to partners and customers in their locale.
public struct LocalizedText: Hashable, Sendable {
    public let en: String
    public let fr: String

    public init(en: String, fr: String) {
        self.en = en
        self.fr = fr
    }

    public func text(_ language: Language) -> String {
        switch language {
        case .en: en
        case .fr: fr
        }
    }
}
