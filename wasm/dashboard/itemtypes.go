package dashboard

// ItemTypes are Fabric's item types (ItemType in the REST API specification's
// common/definitions.json), in the specification's order, for the create form.
var ItemTypes = []string{
	"Dashboard", "Report", "SemanticModel", "PaginatedReport", "Datamart", "Lakehouse",
	"Eventhouse", "Environment", "KQLDatabase", "KQLQueryset", "KQLDashboard", "DataPipeline",
	"Notebook", "SparkJobDefinition", "MLExperiment", "MLModel", "Warehouse", "Eventstream",
	"SQLEndpoint", "MirroredWarehouse", "MirroredDatabase", "Reflex", "GraphQLApi",
	"MountedDataFactory", "SQLDatabase", "CopyJob", "VariableLibrary", "Dataflow",
	"ApacheAirflowJob", "WarehouseSnapshot", "DigitalTwinBuilder", "DigitalTwinBuilderFlow",
	"MirroredAzureDatabricksCatalog", "Map", "AnomalyDetector", "UserDataFunction", "GraphModel",
	"GraphQuerySet", "SnowflakeDatabase", "OperationsAgent", "CosmosDBDatabase", "Ontology",
	"EventSchemaSet", "DataAgent", "MirroredCatalog", "AppBackend", "OrgApp", "OrgAppAudience",
	"DataBuildToolJob", "AzureDatabricksStorage", "Plan",
}
