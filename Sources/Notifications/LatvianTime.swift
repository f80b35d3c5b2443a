import Foundation
import Topics

/// Latvian local time without a time-zone database: EET (UTC+2), and EEST
/// (UTC+3) from the last Sunday of March to the last Sunday of October, the
/// switch at 01:00 UTC both ways (the EU rule). Quiet hours and dates in
/// notices are Latvian time.
public enum LatvianTime {
    /// Seconds east of UTC at `date`.
    public static func offsetSeconds(at date: Date) -> Int {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let (year, _, _) = RFC3339Timestamp.civilDate(daysSinceEpoch: Int64(floorDiv(seconds, 86_400)))
        let summerStart = lastSunday(month: 3, year: Int(year)) * 86_400 + 3_600
        let summerEnd = lastSunday(month: 10, year: Int(year)) * 86_400 + 3_600
        return seconds >= summerStart && seconds < summerEnd ? 3 * 3_600 : 2 * 3_600
    }

    /// Minutes after local midnight at `date`.
    public static func minuteOfDay(_ date: Date) -> Int {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offsetSeconds(at: date)
        return floorMod(local, 86_400) / 60
    }

    /// `dd.MM.yyyy` in Latvian time, as dates are written in Latvia.
    public static func dateText(_ date: Date) -> String {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offsetSeconds(at: date)
        let (year, month, day) = RFC3339Timestamp.civilDate(daysSinceEpoch: Int64(floorDiv(local, 86_400)))
        func digits(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(digits(day, 2)).\(digits(month, 2)).\(digits(year, 4))"
    }

    /// When the quiet period that `date` falls in ends; nil when `date` is not in it.
    public static func endOfQuiet(_ quiet: QuietHours, at date: Date) -> Date? {
        let minute = minuteOfDay(date)
        let inside = quiet.startMinute < quiet.endMinute
            ? minute >= quiet.startMinute && minute < quiet.endMinute
            : minute >= quiet.startMinute || minute < quiet.endMinute
        guard inside else { return nil }
        var wait = quiet.endMinute - minute
        if wait <= 0 { wait += 24 * 60 }
        // From the start of the current minute, so the end falls on the full minute (an hour off across a DST switch at night, at worst).
        let startOfMinute = (date.timeIntervalSince1970 / 60).rounded(.down) * 60
        return Date(timeIntervalSince1970: startOfMinute + Double(wait * 60))
    }

    /// Days since the epoch of the last Sunday of `month` in `year`.
    private static func lastSunday(month: Int, year: Int) -> Int {
        let lastDay = RFC3339Timestamp.daysSinceEpoch(year: year, month: month, day: 31)
        let weekday = floorMod(lastDay + 4, 7)  // 1970-01-01 was a Thursday; 0 is Sunday
        return lastDay - weekday
    }

    private static func floorDiv(_ value: Int, _ divisor: Int) -> Int { (value - floorMod(value, divisor)) / divisor }
    private static func floorMod(_ value: Int, _ divisor: Int) -> Int { ((value % divisor) + divisor) % divisor }
}
