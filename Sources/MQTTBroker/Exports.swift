// The hook, message and persistence types are MQTTHooks' (so that the domain and the stores
// need not import the broker); whoever imports the broker sees them too.
@_exported public import MQTTHooks
