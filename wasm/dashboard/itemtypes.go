package dashboard

import (
	"strings"
	"unicode"
)

// itemType is one entry of the create form's item type picker.
type itemType struct {
	Type string // Fabric's ItemType value, sent to Create Item, e.g. "DataPipeline"
	Name string // what the Fabric portal calls it, e.g. "Pipeline"
}

// itemTypeGroup is a heading of the item type picker: the Fabric workload the portal files
// the types under.
type itemTypeGroup struct {
	Name  string     // the workload, e.g. "Data Engineering"
	Types []itemType // its item types, in the portal's order
}

// itemTypeGroups are the item types the create form offers, grouped and named as the Fabric
// portal's "New item" pane shows them. Only types that Create Item makes from a display name
// alone are listed: Fabric's ItemType enumeration (common/definitions.json) also names types
// Create Item refuses (Dashboard, PaginatedReport, Datamart, SQLEndpoint, MirroredWarehouse:
// made by other means) and types it only makes from a definition or a creationPayload, which
// this form does not take (Report, SemanticModel, MirroredDatabase,
// MirroredAzureDatabricksCatalog, MountedDataFactory, and the org app and plan types).
var itemTypeGroups = []itemTypeGroup{
	{Name: "Data Engineering", Types: []itemType{
		{Type: "Lakehouse", Name: "Lakehouse"},
		{Type: "Notebook", Name: "Notebook"},
		{Type: "SparkJobDefinition", Name: "Spark Job Definition"},
		{Type: "Environment", Name: "Environment"},
		{Type: "GraphQLApi", Name: "API for GraphQL"},
	}},
	{Name: "Data Factory", Types: []itemType{
		{Type: "DataPipeline", Name: "Pipeline"},
		{Type: "Dataflow", Name: "Dataflow Gen2"},
		{Type: "CopyJob", Name: "Copy job"},
		{Type: "ApacheAirflowJob", Name: "Apache Airflow job"},
		{Type: "DataBuildToolJob", Name: "dbt job"},
	}},
	{Name: "Data Science", Types: []itemType{
		{Type: "MLModel", Name: "ML model"},
		{Type: "MLExperiment", Name: "Experiment"},
		{Type: "DataAgent", Name: "Data agent"},
		{Type: "AnomalyDetector", Name: "Anomaly detector"},
	}},
	{Name: "Data Warehouse", Types: []itemType{
		{Type: "Warehouse", Name: "Warehouse"},
		{Type: "WarehouseSnapshot", Name: "Warehouse snapshot"},
	}},
	{Name: "Databases", Types: []itemType{
		{Type: "SQLDatabase", Name: "SQL database"},
		{Type: "CosmosDBDatabase", Name: "Cosmos DB database"},
		{Type: "SnowflakeDatabase", Name: "Snowflake database"},
	}},
	{Name: "Real-Time Intelligence", Types: []itemType{
		{Type: "Eventhouse", Name: "Eventhouse"},
		{Type: "KQLDatabase", Name: "KQL database"},
		{Type: "KQLQueryset", Name: "KQL queryset"},
		{Type: "KQLDashboard", Name: "Real-Time Dashboard"},
		{Type: "Eventstream", Name: "Eventstream"},
		{Type: "Reflex", Name: "Activator"},
		{Type: "EventSchemaSet", Name: "Event schema set"},
		{Type: "Map", Name: "Map"},
		{Type: "DigitalTwinBuilder", Name: "Digital twin builder"},
		{Type: "OperationsAgent", Name: "Operations agent"},
	}},
	{Name: "Other", Types: []itemType{
		{Type: "UserDataFunction", Name: "User data functions"},
		{Type: "VariableLibrary", Name: "Variable library"},
		{Type: "GraphModel", Name: "Graph model"},
		{Type: "GraphQuerySet", Name: "Graph queryset"},
		{Type: "Ontology", Name: "Ontology"},
	}},
}

// defaultItemType is the type the create form starts with.
const defaultItemType = "Notebook"

// otherTypeNames names, as the portal does, the item types a result can hold that the create
// form does not offer.
var otherTypeNames = map[string]string{
	"SemanticModel": "Semantic model", "Report": "Report", "PaginatedReport": "Paginated report",
	"Dashboard": "Dashboard", "Datamart": "Datamart", "SQLEndpoint": "SQL analytics endpoint",
	"MirroredDatabase": "Mirrored database", "MirroredWarehouse": "Mirrored warehouse",
	"MountedDataFactory": "Mounted Azure Data Factory", "MirroredAzureDatabricksCatalog": "Mirrored Azure Databricks catalog",
}

// typeName is what the Fabric portal calls an item type ("DataPipeline" → "Pipeline"); an
// unknown type is spelled out from its name ("FooBar" → "Foo bar").
func typeName(itemType string) string {
	for _, g := range itemTypeGroups {
		for _, t := range g.Types {
			if t.Type == itemType {
				return t.Name
			}
		}
	}
	if n, ok := otherTypeNames[itemType]; ok {
		return n
	}
	var b strings.Builder
	for i, r := range itemType {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// creatable reports whether the create form offers itemType.
func creatable(itemType string) bool {
	for _, g := range itemTypeGroups {
		for _, t := range g.Types {
			if t.Type == itemType {
				return true
			}
		}
	}
	return false
}

// jobKinds are the on-demand jobs the dashboard offers, by item type: Fabric's jobType and
// what the row calls a run of it.
var jobKinds = map[string]struct{ jobType, words string }{
	"Notebook":           {jobType: "RunNotebook", words: "Run notebook"},
	"DataPipeline":       {jobType: "Pipeline", words: "Run pipeline"},
	"SparkJobDefinition": {jobType: "sparkjob", words: "Run Spark job"},
	"Lakehouse":          {jobType: "TableMaintenance", words: "Table maintenance of"},
}

// jobTypeFor returns the on-demand job type the dashboard offers for an item type, or "".
func jobTypeFor(itemType string) string { return jobKinds[itemType].jobType }

// jobLabel names a run of an item's job for its row: "Run notebook “Sales report”".
func jobLabel(itemType, itemName string) string {
	words := jobKinds[itemType].words
	if words == "" {
		words = "Run job of " + typeName(itemType)
	}
	if itemName == "" {
		return words
	}
	return words + " “" + itemName + "”"
}
