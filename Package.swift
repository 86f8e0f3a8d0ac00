// swift-tools-version:6.0
import PackageDescription

// Layers import in one direction only:
//   proxmux -> ProxmuxShell -> ProxmoxAPI -> PVESchema, CCurlShim
//   pve-sim -> PVESim -> PVESchema, CZlibShim, SwiftNIO
// The proxmux binary never links the simulator.

// How the shell's executables are linked, for start-up time (the README's Benchmarks section):
// - libstdc++ statically when the Swift runtime is (see the linker script in scripts/link): one
//   shared library less to load at every start;
// - with lld and packed relative relocations (DT_RELR, glibc 2.36+): with the Swift runtime linked
//   in, the position-independent binary has ~27,000 relative relocations, which the dynamic
//   loader read as 1.5 MB of RELA entries at every start (~0.5 ms); packed, they are 5 KB.
let shellExecutableLinking: [LinkerSetting] = [.unsafeFlags([
    "-L", Context.packageDirectory + "/scripts/link",
    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
])]

let package = Package(
    name: "proxmux",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "proxmux", targets: ["proxmux"]),
        .executable(name: "pve-sim", targets: ["pve-sim"]),
        .executable(name: "proxmux-bench", targets: ["proxmux-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Typed C wrappers for libcurl's variadic setopt/getinfo and the OpenSSL pin check.
        .target(
            name: "CCurlShim",
            linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        // libedit, opened with dlopen when a terminal session starts (not linked: see its header),
        // behind typed wrappers for its variadic el_set/el_get/history.
        .target(name: "CEditLineShim"),
        // gzip for the simulator's answers (pveproxy compresses what clients accept).
        .target(
            name: "CZlibShim",
            linkerSettings: [.linkedLibrary("z")]
        ),
        // The contract: JSON values and the official PVE schema subset with its validator.
        .target(name: "PVESchema", dependencies: ["CMemoryHints", "CCorePlacement"]),
        .target(name: "ProxmoxAPI", dependencies: ["CCurlShim", "PVESchema"]),
        // Cache prefetch and malloc's settings, which Swift has no word for (the table layout reads
        // its cells out of order; a big listing's blocks go on one heap on huge pages).
        .target(name: "CMemoryHints"),
        // Which CPUs a thread may run on (the spare thread and the thread handing it work are kept
        // on two different cores while a job is in flight).
        .target(name: "CCorePlacement"),
        .target(name: "ProxmuxShell", dependencies: ["ProxmoxAPI", "PVESchema", "CEditLineShim", "CMemoryHints"]),
        .target(
            name: "PVESim",
            dependencies: [
                "PVESchema",
                "CZlibShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(name: "proxmux", dependencies: ["ProxmuxShell", "PVESchema"], linkerSettings: shellExecutableLinking),
        .executableTarget(name: "pve-sim", dependencies: ["PVESim"]),
        // In-process measurements for scripts/bench (TAB latency); not installed.
        .executableTarget(name: "proxmux-bench", dependencies: ["ProxmuxShell", "PVESchema"], linkerSettings: shellExecutableLinking),
        .testTarget(name: "PVESchemaTests", dependencies: ["PVESchema", "PVESim", "CCorePlacement"]),
        .testTarget(name: "PVESimTests", dependencies: ["PVESim", "PVESchema"]),
        .testTarget(name: "ProxmoxAPITests", dependencies: ["ProxmoxAPI", "PVESim"]),
        .testTarget(name: "ProxmuxShellTests", dependencies: ["ProxmuxShell", "ProxmoxAPI", "PVESim"]),
    ],
    swiftLanguageModes: [.v6]
)
