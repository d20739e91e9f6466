import Foundation
import RolloutCore
@testable import RolloutDelivery
import Testing

/// DLV-1, DLV-5: the signature a Standard Webhooks receiver expects, and the payload's fields.
/// The end-to-end check with the reference library is in RolloutDaemonTests (DeliveryTests).
@Suite struct SignatureAndPayloadTests {
    /// The Standard Webhooks specification's example, whose signature its reference library
    /// (PyPI `standardwebhooks`) computes too.
    @Test func signsLikeTheSpecificationsExample() throws {
        let header = try WebhookSignature.header(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                                 body: Data(#"{"test": 2432232314}"#.utf8), secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    /// During a rotation's overlap the header carries one signature per secret, space-separated.
    @Test func twoSecretsGiveTwoSignatures() throws {
        let header = try WebhookSignature.header(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                                 body: Data(#"{"test": 2432232314}"#.utf8),
                                                 secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGhlIHNlY29uZCBzZWNyZXQgb2YgdGhpcyB0ZXN0"])
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,blR+YGSMtfd3lNbWYLtsoeQqwzK4XKY+QjcQ03QwVZ0=")
    }

    @Test func aSecretThatIsNotWhsecBase64IsRefused() {
        #expect(throws: WebhookSignature.SecretError.self) {
            try WebhookSignature.header(id: "x", timestamp: 1, body: Data(), secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        }
        #expect(throws: WebhookSignature.SecretError.self) {
            try WebhookSignature.header(id: "x", timestamp: 1, body: Data(), secrets: ["whsec_not base64!"])
        }
    }

    @Test func generatedSecretsAreWhsecWith32RandomBytes() throws {
        let a = WebhookSignature.generateSecret()
        let b = WebhookSignature.generateSecret()
        #expect(a.hasPrefix("whsec_") && a != b)
        #expect(try WebhookSignature.keyBytes(a).count == 32)
    }

    @Test func keyPartsUndoTheIdempotencyKeysEscaping() {
        let key = IdempotencyKey(kind: .orderFailed, subject: "organisation:a|b\\c", occurrence: "order:12")
        let parts = WebhookPayload.keyParts(key.canonical)
        #expect(parts.subject == "organisation:a|b\\c")
        #expect(parts.occurrence == "order:12")
    }
}

/// DLV-2: exponential backoff with jitter, a last attempt at the end of the window, then dead.
@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule(firstRetry: 30, maxInterval: 3_600, giveUpAfter: 259_200)
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func intervalsDoubleUpToTheCap() {
        #expect((1...9).map { schedule.interval(afterAttempt: $0) } == [30, 60, 120, 240, 480, 960, 1_920, 3_600, 3_600])
        #expect(schedule.interval(afterAttempt: 500) == 3_600)
    }

    @Test func jitterKeepsEachWaitBetweenHalfAndAllOfTheInterval() {
        let now = start.addingTimeInterval(100)
        #expect(schedule.afterFailure(attempts: 3, retryFrom: start, now: now, unit: 0) == .retry(at: now.addingTimeInterval(60)))
        #expect(schedule.afterFailure(attempts: 3, retryFrom: start, now: now, unit: 0.999_999)
                == .retry(at: now.addingTimeInterval(60 + 60 * 0.999_999)))
    }

    @Test func theLastRetryIsAtTheEndOfTheWindowThenDead() {
        let almost = start.addingTimeInterval(259_200 - 10)
        #expect(schedule.afterFailure(attempts: 40, retryFrom: start, now: almost, unit: 0.5) == .retry(at: start.addingTimeInterval(259_200)))
        #expect(schedule.afterFailure(attempts: 41, retryFrom: start, now: start.addingTimeInterval(259_200), unit: 0.5) == .dead)
    }

    /// Three days of the default schedule: about 76 attempts, none after the window.
    @Test func theDefaultScheduleLastsThreeDays() {
        var now = start
        var attempts = 0
        while case .retry(let next) = schedule.afterFailure(attempts: attempts + 1, retryFrom: start, now: now, unit: 0.5) {
            #expect(next > now && next <= start.addingTimeInterval(259_200))
            now = next
            attempts += 1
        }
        #expect((70...110).contains(attempts), "\(attempts) retries")
    }
}
