package e2e

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/tidwall/gjson"
	_ "github.com/syumai/workers"
)
