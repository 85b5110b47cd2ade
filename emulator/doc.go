// Package emulator is an in-memory Microsoft Fabric REST API for local use and tests: an
// http.Handler that answers like api.fabric.microsoft.com for workspaces, items (generic,
// notebooks, lakehouses), long running operations and item jobs, with throttling, token
// expiry and scriptable faults. It is to fabric-lro what Azurite is to Azure Storage.
//
// # Use
//
//	srv := emulator.New(emulator.Config{})      // demo defaults
//	http.ListenAndServe("127.0.0.1:8790", srv)  // or httptest.NewServer(srv)
//
// or run it: go run ./cmd/fabric-emulator --listen 127.0.0.1:8790 (--help lists the flags,
// which mirror the Config fields). Every /v1 call needs "Authorization: Bearer <token>"
// with any non-empty token (the dashboard uses dev-token). The workspace DefaultWorkspaceID
// exists from the start.
//
// # Routes
//
// Under /v1, as in the Fabric spec ({coll} is items, notebooks or lakehouses; the typed
// collections only see and create their own type):
//
//	GET    /v1/workspaces                               list (paginated)
//	POST   /v1/workspaces                               create (201)
//	GET    /v1/workspaces/{ws}
//	GET    /v1/workspaces/{ws}/{coll}                   list (paginated; items also ?type=)
//	POST   /v1/workspaces/{ws}/{coll}                   create: 201 + item, or 202 + operation
//	GET    /v1/workspaces/{ws}/{coll}/{id}
//	PATCH  /v1/workspaces/{ws}/{coll}/{id}              update displayName/description
//	DELETE /v1/workspaces/{ws}/{coll}/{id}
//	POST   /v1/workspaces/{ws}/{coll}/{id}/getDefinition     202 + operation with a result
//	POST   /v1/workspaces/{ws}/{coll}/{id}/updateDefinition  202 + operation without result
//	POST   /v1/workspaces/{ws}/{coll}/{id}/jobs/{jobType}/instances   run a job: 202
//	POST   /v1/workspaces/{ws}/{coll}/{id}/jobs/instances?jobType=X   (older form)
//	GET    /v1/workspaces/{ws}/{coll}/{id}/jobs/instances             list (paginated)
//	GET    /v1/workspaces/{ws}/{coll}/{id}/jobs/instances/{job}
//	POST   /v1/workspaces/{ws}/{coll}/{id}/jobs/instances/{job}/cancel  202
//	GET    /v1/operations/{op}                          operation state
//	GET    /v1/operations/{op}/result                   operation result
//	GET    /operations/{op}[/result]                    the same, without /v1
//
// Any other /v1 path answers 404 EntityNotFound. Every error is Fabric's ErrorResponse
// (errorCode, message, requestId, optional moreDetails and relatedResource) with the code
// in the x-ms-public-api-error-code header; every answer carries a requestId header.
//
// # Long running operations
//
// A 202 carries Location (absolute, built from the request's Host:
// http://host/v1/operations/{id}), x-ms-operation-id and Retry-After (whole seconds). The
// operation is NotStarted (percentComplete null) for the first sixth of
// Config.OperationDuration, then Running with a rising percentComplete, then Succeeded or
// Failed; its state is computed from Config.Now, so tests move a fake clock instead of
// sleeping. While it runs, the state answer has Location (itself), x-ms-operation-id and
// Retry-After; once Succeeded it has x-ms-operation-id and, if the operation has a result,
// Location .../result and no Retry-After. updateDefinition operations have no result:
// /result answers 400 OperationHasNoResult. /result of an operation that has not
// succeeded answers 400 OperationNotCompleted or OperationFailed; an unknown operation 404
// OperationNotFound.
//
// Create answers 201 or 202 according to Config.CreateMode: alternate (default: the 1st,
// 3rd... create answers 201, the 2nd, 4th... 202, like the two notebooks of Fabric's
// article), sync, async, or definition (202 when a definition is sent). An item created
// by a 202 appears in lists only once its operation has succeeded. A displayName matching
// Config.FailPattern (default (?i)fail) makes the create answer 202 (400 in sync mode) and
// its operation end Failed with an ErrorResponse in "error". Duplicate display names (same
// workspace and type, case-insensitive) answer 409 ItemDisplayNameAlreadyInUse, or fail
// the operation when the name was taken while it ran. getDefinition and updateDefinition
// answer 202 except in sync mode (200).
//
// # Jobs
//
// Running a job answers 202 with Location (the job instance under /items/, on both URL
// forms and typed routes) and Retry-After, without x-ms-operation-id. The instance is
// NotStarted, InProgress, then Completed after Config.JobDuration, or Failed (with a
// failureReason) when its jobType or item displayName matches Config.FailPattern.
// Cancel of a running instance answers 202 and makes it Cancelled; of an ended one, 400
// JobAlreadyCompleted. Starting a job while the same item and job type has one NotStarted
// or InProgress gives an instance that is Deduped at once.
//
// # Lists
//
// Lists answer {value, continuationToken, continuationUri} with Config.PageSize entries;
// both continuation fields are absent on the last page. The token in the body is
// URL-encoded already (it ends in %3D); the continuationUri keeps the other query
// parameters. A token that is not one the emulator issued (for example encoded twice)
// answers 400 InvalidContinuationToken.
//
// # Authentication and throttling
//
// A missing or empty bearer token answers 401 TokenNotProvided. With Config.TokenTTL, a
// token expires that long after its first use: 401 TokenExpired (a new token string
// starts afresh). With Config.ThrottleLimit, each token may make that many /v1 requests
// per Config.ThrottleWindow; past it every /v1 endpoint, operation state and result
// included, answers 429 RequestBlocked with Retry-After (seconds until the window ends).
// With Config.StrictRetryAfter, polling an operation state or a job instance sooner than
// the last Retry-After said answers 429 RequestBlocked with the Retry-After that remains.
//
// # Faults
//
// A FaultRule injects one FaultKind into the requests it matches by method and path
// prefix, after letting After matching requests pass, at most Count times (0: always),
// optionally with a Probability drawn from a generator seeded by Config.Seed, so runs are
// reproducible. Kinds:
//
//	429, 500, 503      answer 429 RequestBlocked / 500 UnknownError / 503 ServiceUnavailable
//	                   (with Retry-After for 429 and 503) instead of the API
//	tokenExpired       answer 401 TokenExpired instead of the API
//	drop               close the connection without an answer; nothing happens
//	dropAfter          do what the request asks (an item may be created), then close
//	slow               wait Delay (default 5 s) through Config.Sleep, then answer
//	malformed          cut the JSON body in half, keeping status and headers
//	noRetryAfter       remove Retry-After
//	httpDateRetryAfter send Retry-After as an HTTP date
//	noLocation         remove Location (clients fall back to x-ms-operation-id)
//	locationWithoutV1  drop /v1 from the Location path, as the spec's examples write it
//	                   (GET /operations/{op} and .../result are served too)
//	undefinedStatus    report "status":"Undefined" (or the rule's Status) in a JSON answer
//	regionalLocation   move Location to Config.RegionalBaseURL (path kept); serve the
//	                   same Server on that second listener
//
// Every rule that matches a request fires and counts, so rules combine ("429" with
// "noRetryAfter" gives a 429 without Retry-After); of the rules that answer instead of
// the API the first wins. A "429 storm" that then passes:
//
//	{"rules":[{"kind":"429","method":"GET","pathPrefix":"/v1/operations","count":3}]}
//
// The flag form is ParseFaultRule's: --fault kind=429,method=GET,path=/v1/operations,count=3.
//
// # Control endpoint
//
// Outside /v1, never authenticated, throttled or faulted, all JSON:
//
//	GET    /_emulator/            index: defaultWorkspaceId and the endpoints
//	GET    /_emulator/config      the tunable settings (ControlConfig)
//	PUT    /_emulator/config      change some: {"operationDuration":"60s","createMode":"async"}
//	GET    /_emulator/faults      {"rules":[{...FaultRule, "seen":n, "fired":n, "remaining":n}]}
//	PUT    /_emulator/faults      replace the rules: {"rules":[{"kind":"429","pathPrefix":"/v1/operations","count":3}]}
//	POST   /_emulator/faults      append rules (same body)
//	DELETE /_emulator/faults      remove all rules
//	POST   /_emulator/reset       back to the start state and the Config given to New (204)
//
// Durations are Go duration strings ("2s", "1m") or numbers of seconds. In-process tests can
// use Server.SetFaults, Server.AddFaults, Server.Faults and Server.Reset instead.
//
// # Command flags
//
// cmd/fabric-emulator maps its flags onto Config (defaults in brackets):
//
//	--listen             address [127.0.0.1:8790]
//	--retry-after        Config.RetryAfter in seconds [2]; Fabric's examples use 20 to 60
//	--operation-duration Config.OperationDuration [6s]
//	--job-duration       Config.JobDuration [6s]
//	--create-mode        Config.CreateMode [alternate]
//	--fail-pattern       Config.FailPattern [(?i)fail]
//	--token-ttl          Config.TokenTTL [0: never]
//	--throttle-limit     Config.ThrottleLimit [0: none]
//	--throttle-window    Config.ThrottleWindow [1m]
//	--page-size          Config.PageSize [100]
//	--seed               Config.Seed [1]
//	--regional-base-url  Config.RegionalBaseURL [none]
//	--regional-listen    a second address serving the same Server as a regional host;
//	                     sets Config.RegionalBaseURL to http://ADDR unless given [none]
//	--scheme             Config.Scheme [http]
//	--fault              one Config.Faults rule in ParseFaultRule's form, repeatable
//	--strict-retry-after Config.StrictRetryAfter [false]
//	--quiet              no request log (the log never shows tokens)
//
// Spec-like timings are one flag away: --retry-after 30 --operation-duration 60s.
package emulator
