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
//	POST   /v1/workspaces/{ws}/{coll}/{id}/getDefinition     200 + definition, or 202 + operation
//	       ?format=ipynb|fabricGitSource (notebooks)          with the definition as result
//	POST   /v1/workspaces/{ws}/{coll}/{id}/updateDefinition  200, or 202 + operation without result
//	       ?updateMetadata=true                               .platform's displayName/description apply
//	POST   /v1/workspaces/{ws}/{coll}/{id}/jobs/{jobType}/instances   run a job: 202
//	POST   /v1/workspaces/{ws}/{coll}/{id}/jobs/instances?jobType=X   (older form)
//	GET    /v1/workspaces/{ws}/{coll}/{id}/jobs/instances             list (paginated; ?jobType=X filters)
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
// Failed; its state is computed from the time of each request (package time), so a test
// that runs the emulator in-process in a testing/synctest bubble moves the bubble's clock
// instead of waiting. Its times come in the two forms of Microsoft's article: 2023-11-13T22:24:40.477Z
// while it runs, 2023-11-13T22:25:06.1193103 (seven digits, no zone) once it has ended;
// lastUpdatedTimeUtc is when its status or percentComplete last changed, so polls between
// two changes see the same value. While it runs, the state answer has Location (itself), x-ms-operation-id and
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
// the operation when the name was taken while it ran.
//
// # Definitions
//
// getDefinition and updateDefinition answer 200 at once or 202 with an operation, as the
// spec's examples show both: in alternate mode (the default) the 1st, 3rd... definition
// call answers 200 and the 2nd, 4th... 202 (their own count, not the creates'); sync mode
// always 200; async and definition modes always 202. A 200 of getDefinition carries the
// definition; a 200 of updateDefinition carries no body, except on the lakehouses route,
// whose 200 is the item (UpdateLakehouseDefinition.json). A definition sent by create or
// updateDefinition whose part has a payloadType other than InlineBase64, no path, or a
// payload that is not base64 (padded or not) answers 400 CorruptedPayload and changes
// nothing. With ?updateMetadata=true, the displayName and description in the metadata of
// a .platform part that is JSON apply to the item (a name in use answers 409); a .platform
// that is not JSON, like the spec's placeholder, changes nothing. A notebook's getDefinition
// with ?format=ipynb returns notebook-content.ipynb (a Jupyter notebook converted from
// notebook-content.py when stored so), without format or with fabricGitSource
// notebook-content.py (converted from an ipynb one); another format answers 400
// InvalidRequest.
//
// # Jobs
//
// Running a job answers 202 with Location and Retry-After (Config.JobRetryAfter), without
// x-ms-operation-id. Location is the job instance under /items/ (on both URL forms and
// typed routes), or with Config.JobLocation "list" the item's job list filtered by the job
// type, .../items/{id}/jobs/instances?jobType=X (RunOnDemandItemJob3.json): the client
// finds its instance there ("alternate" gives the 1st, 3rd... job the instance form and
// the 2nd, 4th... the list form). The instance is NotStarted, InProgress, then Completed
// after Config.JobDuration, or Failed (with a failureReason) when its item's displayName
// or description matches Config.FailPattern. Its GET carries Retry-After while it has not
// ended, as the spec documents.
//
// Job types: DefaultJob on every item; RunNotebook and Execute on notebooks;
// TableMaintenance and RefreshMaterializedLakeViews on lakehouses; Pipeline on data
// pipelines; sparkjob on Spark job definitions (case-insensitive). Any other answers 400
// InvalidJobType and starts nothing.
//
// Cancel of an instance that has not ended answers 202 (Location, Retry-After, no body);
// the instance shows InProgress for Config.CancelDuration ("canceling a job is in
// progress"), even past the end its run would have had, then is Cancelled. A second cancel
// while one is pending answers 202 and changes nothing; a cancel of an instance that ended
// in the meantime answers 400 JobAlreadyCompleted naming how it ended. Starting a job while
// the same item and job type has one NotStarted or InProgress gives an instance that is
// Deduped at once.
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
// starts afresh). With Config.ThrottleLimit, throttling is per caller and per API, as
// Fabric's: each token may call each API (a method and route, such as GET
// /v1/operations/{op}, the same without /v1) that many times per Config.ThrottleWindow;
// past it that API, operation state and result included, answers that caller 429
// RequestBlocked with Retry-After (seconds until the window ends), while its other APIs
// and other callers go on.
// With Config.StrictRetryAfter, polling an operation state or a job instance sooner than
// the last Retry-After said answers 429 RequestBlocked with the Retry-After that remains.
//
// # Identity provider (sign in with Microsoft, offline)
//
// With Config.Identity (the command's --sign-in), Server.IdentityProvider is an OpenID
// Connect authority shaped like Microsoft Entra ID's v2.0 endpoints, for MSAL.js, served over
// HTTPS (NewTestCertificate makes a certificate at start; MSAL.js refuses http authorities):
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration   metadata (CORS *)
//	GET  /{tenant}/discovery/v2.0/keys                      JWKS: the RS256 signing key
//	GET  /{tenant}/oauth2/v2.0/authorize                    code flow with PKCE (S256), answer
//	                                                        in the fragment or query; signs the
//	                                                        configured user in at once, no form;
//	                                                        prompt=none needs a live session
//	POST /{tenant}/oauth2/v2.0/token                        authorization_code, refresh_token
//	                                                        (rotated); CORS for the redirect
//	                                                        URIs' origins; cross-origin only
//	GET  /{tenant}/oauth2/v2.0/logout                       ends the session
//
// {tenant} is the tenant's id, one of its domains, organizations or common. An unknown tenant
// (AADSTS90002), client id (AADSTS700016), a missing PKCE challenge (AADSTS9002325), a
// silent sign-in without a session (login_required, AADSTS50058), a used or revoked refresh
// token (invalid_grant, AADSTS50173) answer with Entra's error JSON ({error,
// error_description, error_codes, trace_id, correlation_id}), or on the redirect URI's
// error and error_description. Entra shows an unknown client id on its own page; the emulator
// sends it back to a redirect URI it accepts, so a page can show it.
//
// Access tokens are RS256 JWTs with aud https://api.fabric.microsoft.com, scp (the consented
// IdentityConfig.Scopes), exp (IdentityConfig.AccessTokenLifetime, short by default), iss,
// tid, oid, name and upn. In this mode the Fabric API accepts no other token: a bad signature,
// audience or tenant answers 401 InvalidToken, an expired token 401 TokenExpired, a token
// without the scope the call needs (after the spec's "Required Delegated Scopes": reading
// needs a *.Read.All or *.ReadWrite.All, creating an item Item.ReadWrite.All or the type's
// own, running a job *.Execute.All; polling an operation any valid token) 403
// InsufficientScopes.
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
//	slow               wait Delay (default 5 s), then answer; nothing if the client left
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
//	GET    /_emulator/identity    identity-provider mode: {"accessTokenLifetime", "stats"} (IdentityStats)
//	PUT    /_emulator/identity    {"accessTokenLifetime":"30s"}: the lifetime of tokens issued afterwards
//	POST   /_emulator/identity/revoke  revoke every refresh token and end the session, as an
//	                              administrator's "revoke sessions" does: the user must sign in again
//	POST   /_emulator/identity/expire  every access token issued so far answers 401 TokenExpired
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
//	--job-retry-after    Config.JobRetryAfter in seconds [0: --retry-after]
//	--operation-duration Config.OperationDuration [6s]
//	--job-duration       Config.JobDuration [6s]
//	--cancel-duration    Config.CancelDuration [2s]
//	--job-location       Config.JobLocation [instance]
//	--fabric-timings     FabricTimings: the spec's timings for every timing flag not given
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
// The defaults are shortened for demos and tests. The spec's timings are one flag away:
// --fabric-timings (Retry-After 30 s for operations and 60 s for jobs, operations of a
// minute, jobs of two, cancels of 30 s).
//
// # What the emulator does not model
//
// Its answers are Fabric's where this documentation says so; elsewhere a test must not
// take them for Fabric's:
//
//	Fabric                                         the emulator
//	a result fetched twice: the second answer is   /result answers the same every time
//	  not documented
//	operations and job instances are kept only     they never expire: they live until a
//	  for a while (how long is not documented)     reset or a restart
//	which calls are long running, and how long     Config.CreateMode, Config.OperationDuration:
//	  they take, depends on the item and load      the same for every item type
//	Retry-After varies per call and per load       one value per kind (RetryAfter, JobRetryAfter)
//	throttling limits per API are unpublished and  one ThrottleLimit for every API, off by
//	  change                                       default; no TooManyRequestsForJobs
//	identities, scopes, permissions, tenants,      any non-empty bearer token is accepted and
//	  InsufficientPrivileges, 403                  may do everything; with Config.Identity,
//	                                               one tenant and one user, scopes checked,
//	                                               no workspace roles
//	folders, tags, sensitivity labels, domains,    folderId is stored and echoed, nothing else
//	  capacities, workspace roles and identities
//	job schedules, job parameters and execution    accepted and ignored; jobs only wait
//	  data, Spark sessions, Livy, run history
//	soft delete, restore, hard delete              DELETE removes the item at once
//	item-specific payloads (creationPayload),      stored or ignored; definitions are checked
//	  definition formats of each item type         for base64 only, the content never parsed
//	                                               (except .platform and notebook py/ipynb)
//	every job type of every item type              a fixed table (see Jobs)
//	the list order of job instances                oldest first
//	long running operations of other APIs (git,    not served: 404 EntityNotFound
//	  deployment pipelines, bulk import/export,
//	  OneLake, capacities...)
//	regional redirects decided by Fabric           only through the regionalLocation fault
package emulator
