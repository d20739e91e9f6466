/// The text of a notification before its values are filled in: plain `{name}` tokens
/// (`NotificationPlaceholder`), no escaping, no plural logic, so that SQL can fill it by
/// concatenating its pieces (`NotificationTemplates.pieces`) exactly as `render` fills it.
public struct NotificationTemplate: Hashable, Sendable {
    public let subject: String
    public let body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }
}

/// The text of every `NotificationKind` in every `Language` (NOT-2).
public enum NotificationTemplates {
    /// Every template, for the store to load into a table and fill set-based.
    public static var all: [(kind: NotificationKind, language: Language, template: NotificationTemplate)] {
        NotificationKind.allCases.flatMap { kind in
            Language.allCases.map { (kind, $0, template(kind, $0)) }
        }
    }

    public static func template(_ kind: NotificationKind, _ language: Language) -> NotificationTemplate {
        switch language {
        case .en: english(kind)
        case .fr: french(kind)
        }
    }

    /// Fills `values` (keyed by placeholder name) into the template in one pass: a value is
    /// inserted as it is, never scanned for tokens itself. A token without a value, or a `{…}` that
    /// names no placeholder, is left as written.
    public static func render(_ kind: NotificationKind, _ language: Language, values: [String: String]) -> (subject: String, body: String) {
        let template = template(kind, language)
        return (fill(template.subject, values), fill(template.body, values))
    }

    /// One piece of a template's text: literal text, or the value of a placeholder.
    public enum Piece: Hashable, Sendable {
        case text(String)
        case value(name: String)
    }

    /// `text` split at the tokens that name one of `names`, in order: the one parse behind
    /// `render` and the SQL that fills a fleet's notifications in one statement
    /// (`'Version ' || version || ' of the app…'`), so both write the same text. A `{…}` that
    /// names nothing in `names` stays literal text.
    public static func pieces(of text: String, filling names: Set<String>) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"),
                  case let name = String(rest[rest.index(after: open)..<close]), names.contains(name)
            else {
                literal.append("{")
                rest = rest[rest.index(after: open)...]
                continue
            }
            if !literal.isEmpty { pieces.append(.text(literal)) }
            literal = ""
            pieces.append(.value(name: name))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }

    private static func fill(_ text: String, _ values: [String: String]) -> String {
        pieces(of: text, filling: Set(values.keys)).map { piece in
            switch piece {
            case .text(let text): text
            case .value(let name): values[name, default: ""]
            }
        }.joined()
    }

    private static func english(_ kind: NotificationKind) -> NotificationTemplate {
        switch kind {
        case .scheduleChangeApplied:
            NotificationTemplate(
                subject: "Release schedule of {scope} changed",
                body: "From {date}, {scope} follows the release schedule {schedule}. "
                    + "App versions are now chosen under this schedule.")
        case .updateAvailable:
            NotificationTemplate(
                subject: "App version {version} available for {organisation}",
                body: "Version {version} of the app becomes the target version for {organisation} on {date}. "
                    + "Endpoints on an older version will be upgraded; none is ever downgraded.")
        case .programmeAnnounced:
            NotificationTemplate(
                subject: "Upgrade to the cloud generation: your upgrade window opens on {date}",
                body: "{partner}, the upgrade window for your customers on the legacy generation opens on {date}. "
                    + "From then on you can review each customer's readiness and order its upgrade. "
                    + "Customers still on the legacy generation and ready on {deadline} will be upgraded automatically.")
        case .customerProgrammeAnnounced:
            NotificationTemplate(
                subject: "Your upgrade window opens on {date}",
                body: "{partner}, your managed service provider, will upgrade {organisation} to the cloud generation. "
                    + "The upgrade window opens on {date}. Your sign-in details stay the same, "
                    + "and your endpoints stay protected throughout the upgrade.")
        case .windowOpen:
            NotificationTemplate(
                subject: "Your upgrade window is open",
                body: "{partner}, the upgrade window is open. Review the readiness checklist of each customer on the "
                    + "legacy generation and choose \"Upgrade now\" when it is ready. "
                    + "Customers still on the legacy generation and ready on {deadline} will be upgraded automatically.")
        case .orderPlaced:
            NotificationTemplate(
                subject: "Upgrade order {order} placed for {organisation}",
                body: "The upgrade order {order} for {organisation} was sent to your distributor. "
                    + "Automatic endpoint upgrades for {organisation} are paused until the order is answered. "
                    + "If your distributor has not answered by {deadline}, you will be asked to contact them.")
        case .orderUnanswered:
            NotificationTemplate(
                subject: "No answer to upgrade order {order} for {organisation}",
                body: "Your distributor has not answered the upgrade order {order} for {organisation}, placed on {date}. "
                    + "Please contact your distributor.")
        case .orderProcessed:
            NotificationTemplate(
                subject: "{organisation} is upgraded to the cloud generation",
                body: "Your distributor processed the upgrade order {order}: {organisation} now uses the cloud generation. "
                    + "Its users sign in with the same credentials. Its endpoints are upgraded according to your "
                    + "endpoint upgrade policy and stay protected throughout.")
        case .orderFailed:
            NotificationTemplate(
                subject: "Upgrade order {order} for {organisation} failed",
                body: "Your distributor could not process the upgrade order {order} for {organisation}: {reason}. "
                    + "{organisation} stays on the legacy generation. Resolve the issue with your distributor, "
                    + "then order the upgrade again.")
        case .upgradeHeld:
            NotificationTemplate(
                subject: "Automatic upgrade of {organisation} held",
                body: "{organisation} was not upgraded automatically because it is not ready. Failing checks: {items}. "
                    + "Its readiness is checked again every business day, and the order is placed as soon as it is ready.")
        case .endpointUpgradeAvailable:
            NotificationTemplate(
                subject: "Security agent upgrade available",
                body: "An upgrade of the security agent is available for {endpoint}. You can upgrade now or defer it "
                    + "until {deadline}; it is then installed automatically. "
                    + "Your device must restart to complete the upgrade.")
        case .endpointUpgradeReminder:
            NotificationTemplate(
                subject: "Reminder: security agent upgrade",
                body: "The security agent upgrade for {endpoint} is still waiting. "
                    + "Upgrade now, or it will be installed automatically on {deadline}.")
        case .endpointInstalling:
            NotificationTemplate(
                subject: "Security agent upgrade in progress",
                body: "The security agent upgrade is being installed on {endpoint}. "
                    + "Your device stays protected during the installation.")
        case .endpointRestartRequired:
            NotificationTemplate(
                subject: "Restart to complete the upgrade",
                body: "The security agent upgrade is installed on {endpoint}. Restart your device to complete it.")
        case .endpointUpgraded:
            NotificationTemplate(
                subject: "Upgrade complete: your device is protected",
                body: "The security agent upgrade on {endpoint} succeeded. Your device is protected by the cloud generation.")
        case .endpointUpgradeFailed:
            NotificationTemplate(
                subject: "Endpoint upgrade failed on {endpoint} ({organisation})",
                body: "The security agent upgrade failed on {endpoint} of {organisation}: {reason}. "
                    + "The endpoint keeps its legacy agent and stays protected. Fix the cause, then trigger the upgrade again.")
        case .firstCloudBillDue:
            NotificationTemplate(
                subject: "First cloud bill for {organisation} on {date}",
                body: "Your distributor bills the cloud generation for {organisation} from your next billing cycle, on {date}.")
        case .monthlyLegacyDeclaration:
            NotificationTemplate(
                subject: "Monthly legacy declaration due",
                body: "{partner}, your monthly declaration for your customers still on the legacy generation is due on {date}. "
                    + "Send it to your distributor.")
        case .finalLegacyDeclaration:
            NotificationTemplate(
                subject: "Final legacy declaration due",
                body: "{partner}, all your customers are now on the cloud generation. Send your distributor a final "
                    + "declaration for the legacy generation; no monthly declaration is needed after it.")
        case .rolloutPaused:
            NotificationTemplate(
                subject: "Paused: {what} for {scope}",
                body: "Since {date}, {what} is paused for {scope}: nothing moves by time (no new targets, no endpoint upgrade "
                    + "started or forced, no automatic order) until it is resumed. Reports from endpoints and the distributor "
                    + "are still recorded. Reason: {reason}")
        case .rolloutResumed:
            NotificationTemplate(
                subject: "Resumed: {what} for {scope}",
                body: "Since {date}, {what} runs again for {scope}. What fell due during the pause is decided now, and end users' "
                    + "deferral deadlines moved by the length of the pause.")
        case .programmeAutoPaused:
            NotificationTemplate(
                subject: "Upgrade programme paused: too many failed upgrades",
                body: "{partner}, the upgrade programme paused itself on {date}: {items} It stays paused until one of your "
                    + "admins or an operator resumes it.")
        }
    }

    private static func french(_ kind: NotificationKind) -> NotificationTemplate {
        switch kind {
        case .scheduleChangeApplied:
            NotificationTemplate(
                subject: "Calendrier de publication de {scope} modifié",
                body: "À partir du {date}, {scope} suit le calendrier de publication {schedule}. "
                    + "Les versions de l'application sont désormais choisies selon ce calendrier.")
        case .updateAvailable:
            NotificationTemplate(
                subject: "Version {version} de l'application disponible pour {organisation}",
                body: "La version {version} de l'application devient la version cible de {organisation} le {date}. "
                    + "Les terminaux équipés d'une version antérieure seront mis à niveau ; "
                    + "aucun ne revient jamais à une version plus ancienne.")
        case .programmeAnnounced:
            NotificationTemplate(
                subject: "Mise à niveau vers la génération cloud : votre fenêtre de mise à niveau s'ouvre le {date}",
                body: "{partner}, la fenêtre de mise à niveau de vos clients sur l'ancienne génération s'ouvre le {date}. "
                    + "Vous pourrez alors consulter l'état de préparation de chaque client et commander sa mise à niveau. "
                    + "Les clients encore sur l'ancienne génération et prêts le {deadline} seront mis à niveau automatiquement.")
        case .customerProgrammeAnnounced:
            NotificationTemplate(
                subject: "Votre fenêtre de mise à niveau s'ouvre le {date}",
                body: "{partner}, votre partenaire de services gérés, va mettre à niveau {organisation} vers la génération cloud. "
                    + "La fenêtre de mise à niveau s'ouvre le {date}. Vos identifiants restent les mêmes "
                    + "et vos terminaux restent protégés pendant toute la mise à niveau.")
        case .windowOpen:
            NotificationTemplate(
                subject: "Votre fenêtre de mise à niveau est ouverte",
                body: "{partner}, la fenêtre de mise à niveau est ouverte. Consultez la liste de contrôle de préparation "
                    + "de chaque client sur l'ancienne génération et cliquez sur « Mettre à niveau maintenant » dès qu'il est prêt. "
                    + "Les clients encore sur l'ancienne génération et prêts le {deadline} seront mis à niveau automatiquement.")
        case .orderPlaced:
            NotificationTemplate(
                subject: "Commande de mise à niveau {order} passée pour {organisation}",
                body: "La commande de mise à niveau {order} pour {organisation} a été transmise à votre distributeur. "
                    + "Les mises à niveau automatiques des terminaux de {organisation} sont suspendues jusqu'à sa réponse. "
                    + "Si votre distributeur n'a pas répondu d'ici le {deadline}, nous vous demanderons de le contacter.")
        case .orderUnanswered:
            NotificationTemplate(
                subject: "Pas de réponse à la commande de mise à niveau {order} pour {organisation}",
                body: "Votre distributeur n'a pas répondu à la commande de mise à niveau {order} pour {organisation}, "
                    + "passée le {date}. Veuillez contacter votre distributeur.")
        case .orderProcessed:
            NotificationTemplate(
                subject: "Mise à niveau de {organisation} vers la génération cloud effectuée",
                body: "Votre distributeur a traité la commande de mise à niveau {order} : {organisation} utilise désormais "
                    + "la génération cloud. Ses utilisateurs se connectent avec les mêmes identifiants. Ses terminaux sont "
                    + "mis à niveau selon votre politique de mise à niveau des terminaux et restent protégés pendant toute l'opération.")
        case .orderFailed:
            NotificationTemplate(
                subject: "Échec de la commande de mise à niveau {order} pour {organisation}",
                body: "Votre distributeur n'a pas pu traiter la commande de mise à niveau {order} pour {organisation} : {reason}. "
                    + "Le client {organisation} reste sur l'ancienne génération. Réglez le problème avec votre distributeur, "
                    + "puis commandez de nouveau la mise à niveau.")
        case .upgradeHeld:
            NotificationTemplate(
                subject: "Mise à niveau automatique de {organisation} en attente",
                body: "Le client {organisation} n'a pas été mis à niveau automatiquement, car il n'est pas prêt. "
                    + "Points de contrôle en échec : {items}. Son état de préparation est réévalué chaque jour ouvrable, "
                    + "et la commande sera passée dès qu'il sera prêt.")
        case .endpointUpgradeAvailable:
            NotificationTemplate(
                subject: "Mise à niveau de l'agent de sécurité disponible",
                body: "Une mise à niveau de l'agent de sécurité est disponible pour {endpoint}. Vous pouvez effectuer "
                    + "la mise à niveau maintenant ou la reporter jusqu'au {deadline} ; elle sera alors installée "
                    + "automatiquement. L'appareil doit être redémarré pour terminer la mise à niveau.")
        case .endpointUpgradeReminder:
            NotificationTemplate(
                subject: "Rappel : mise à niveau de l'agent de sécurité",
                body: "La mise à niveau de l'agent de sécurité de {endpoint} est toujours en attente. "
                    + "Effectuez-la maintenant, sinon elle sera installée automatiquement le {deadline}.")
        case .endpointInstalling:
            NotificationTemplate(
                subject: "Mise à niveau de l'agent de sécurité en cours",
                body: "La mise à niveau de l'agent de sécurité est en cours d'installation sur {endpoint}. "
                    + "L'appareil reste protégé pendant l'installation.")
        case .endpointRestartRequired:
            NotificationTemplate(
                subject: "Redémarrez pour terminer la mise à niveau",
                body: "La mise à niveau de l'agent de sécurité est installée sur {endpoint}. "
                    + "Redémarrez l'appareil pour la terminer.")
        case .endpointUpgraded:
            NotificationTemplate(
                subject: "Mise à niveau réussie : votre appareil est protégé",
                body: "La mise à niveau de l'agent de sécurité de {endpoint} a réussi. "
                    + "Votre appareil est protégé par la génération cloud.")
        case .endpointUpgradeFailed:
            NotificationTemplate(
                subject: "Échec de la mise à niveau du terminal {endpoint} ({organisation})",
                body: "La mise à niveau de l'agent de sécurité a échoué sur le terminal {endpoint} de {organisation} : {reason}. "
                    + "Le terminal conserve son agent de l'ancienne génération et reste protégé. "
                    + "Corrigez la cause, puis relancez la mise à niveau.")
        case .firstCloudBillDue:
            NotificationTemplate(
                subject: "Première facture cloud pour {organisation} le {date}",
                body: "Votre distributeur vous facture la génération cloud pour {organisation} à partir de votre "
                    + "prochain cycle de facturation, le {date}.")
        case .monthlyLegacyDeclaration:
            NotificationTemplate(
                subject: "Déclaration mensuelle de l'ancienne génération à remettre",
                body: "{partner}, votre déclaration mensuelle pour vos clients encore sur l'ancienne génération est "
                    + "à remettre le {date}. Envoyez-la à votre distributeur.")
        case .finalLegacyDeclaration:
            NotificationTemplate(
                subject: "Déclaration finale de l'ancienne génération à remettre",
                body: "{partner}, tous vos clients utilisent désormais la génération cloud. Envoyez à votre distributeur "
                    + "une déclaration finale pour l'ancienne génération ; aucune déclaration mensuelle ne sera plus "
                    + "nécessaire ensuite.")
        case .rolloutPaused:
            NotificationTemplate(
                subject: "Suspendu : {what} pour {scope}",
                body: "Depuis le {date}, {what} est suspendu(e) pour {scope} : rien n'avance plus avec le temps (aucune nouvelle "
                    + "version cible, aucune mise à niveau de poste lancée ou forcée, aucune commande automatique) jusqu'à la "
                    + "reprise. Les remontées des postes et du distributeur restent enregistrées. Motif : {reason}")
        case .rolloutResumed:
            NotificationTemplate(
                subject: "Repris : {what} pour {scope}",
                body: "Depuis le {date}, {what} reprend pour {scope}. Ce qui était dû pendant la suspension est décidé "
                    + "maintenant, et les délais de report des utilisateurs sont décalés de la durée de la suspension.")
        case .programmeAutoPaused:
            NotificationTemplate(
                subject: "Programme de migration suspendu : trop d'échecs",
                body: "{partner}, le programme de migration s'est suspendu le {date} : {items} Il reste suspendu jusqu'à ce "
                    + "qu'un de vos administrateurs ou un opérateur le reprenne.")
        }
    }
}
