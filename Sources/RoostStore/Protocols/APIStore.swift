/// Everything the REST API reads and writes.
public typealias APIStore = UserStore & RegistryStore & TelemetryStore & RollupStore & CredentialStore & CommandStore & ShadowStore & AlertStore & ScheduleStore & RetentionStore
