import ParserFuzzing
#if canImport(Glibc)
import Glibc
#endif

#if FUZZING
/// libFuzzer's driver. SwiftPM links an executable's `main` to the module's own entry point
/// (`--defsym main=ballast_fuzz_main`), so libFuzzer's `main` is never linked in; this `main`
/// hands the arguments to the driver instead. `@_silgen_name` binds the C symbol: its
/// arguments (pointers, a C function pointer) pass the same way in both conventions.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The entry point libFuzzer's own `main` calls, when the linker picks that one (lld pulls it
/// in with the fuzzer runtime); both entries feed the same target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The parser this process fuzzes, from `BALLAST_FUZZ_TARGET`.
let selectedTarget: FuzzTarget = {
    guard let name = getenv("BALLAST_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        print("set BALLAST_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(2)
    }
    return target
}()
#endif

/// `make fuzz` builds this with `-sanitize=fuzzer,address -DFUZZING`: libFuzzer then feeds the
/// parser named by `BALLAST_FUZZ_TARGET` (libFuzzer owns the arguments). Built normally,
/// `ballast-fuzz TARGET FILE...` feeds each file to the target once, to replay a saved crash.
@main
enum FuzzMain {
    static func main() {
        #if FUZZING
        _ = selectedTarget
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
        #else
        replay()
        #endif
    }

    static func replay() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: ballast-fuzz TARGET FILE...; targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("\(path): cannot open")
                exit(1)
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { break }
                bytes += buffer[0..<count]
            }
            fclose(file)
            target.run(bytes)
            print("\(path): ok")
        }
    }
}
