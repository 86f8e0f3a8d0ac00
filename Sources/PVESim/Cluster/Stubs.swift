extension Routes {
    static let backupRoutes: [Route] = []
    static let networkRoutes: [Route] = []
    static let firewallRoutes: [Route] = []
    static let haRoutes: [Route] = []
    static let poolRoutes: [Route] = []
    static let metricsRoutes: [Route] = []
}
