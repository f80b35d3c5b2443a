import Foundation

/// CPU time (user + system, in seconds) used so far: by this process, by its
/// children it has waited for (the benches' curl and kcat), and by any
/// process by id (the local broker), for the benches' CPU-per-record figures.
enum CPUTime {
    static var own: Double { usage(RUSAGE_SELF) }
    static var children: Double { usage(RUSAGE_CHILDREN) }

    /// From /proc/<pid>/stat (utime and stime, fields 14 and 15); nil where it cannot be read.
    static func of(pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        // After the command name: state (field 3), so utime and stime are the 12th and 13th fields from here.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Context switches of this process's threads so far (voluntary and not): a thread hand-off costs one or two.
    static var switches: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_nvcsw + usage.ru_nivcsw
    }

    private static func usage(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
