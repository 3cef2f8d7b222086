/** The gateway's own version, reported by Version and /healthz. */
export const gatewayVersion = "0.1.0";
