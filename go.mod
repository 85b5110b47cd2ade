module github.com/fabric-lro/fabric-lro

go 1.26

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/syumai/workers v0.32.0
	github.com/tidwall/gjson v1.20.2
	honnef.co/go/js/dom/v2 v2.0.0-20250304181735-b5e52f05e89d
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.3.0 // indirect
)
