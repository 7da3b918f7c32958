package web

import (
	"fmt"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the light margin around a QR code, in modules: the four the standard asks for, so
// that a phone finds the code against any background.
const qrQuiet = 4

// qrSVG draws text as a QR code (error correction level M) in SVG: one path of unit squares,
// black on white, scaled by the page. No script and no style attribute, so the strict CSP
// allows it inline.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	n := code.Size + 2*qrQuiet
	var d strings.Builder
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+qrQuiet, y+qrQuiet)
			}
		}
	}
	// Only numbers go into the markup: nothing of text reaches it but through the modules.
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" `+
		`shape-rendering="crispEdges" role="img" aria-label="QR code of the secret"><rect width="%d" height="%d" fill="#fff"/>`+
		`<path fill="#000" d="%s"/></svg>`, n, n, n*5, n*5, n, n, d.String())), nil
}
