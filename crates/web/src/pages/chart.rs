//! Charts as SVG drawn on the server: horizontal bars, each labelled with
//! its name and value in text, so a chart reads the same without colour,
//! printed in black and white, or zoomed. Screen readers get the chart's
//! title and the table that always sits beside it.

use maud::{Markup, html};

/// One bar: its label, its size, and the value written beside it.
pub(crate) struct Bar {
    pub label: String,
    pub value: i64,
    pub text: String,
}

const LABEL_WIDTH: i64 = 190;
const BAR_SPACE: i64 = 200;
const ROW: i64 = 32;

/// A horizontal bar chart. Negative values are drawn as zero-length bars:
/// the text beside each says the value.
pub(crate) fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() as i64 + 8;
    let width = LABEL_WIDTH + BAR_SPACE + 110;
    html! {
        figure class="allot-chart" {
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby={ (id) "-title" } viewBox={ "0 0 " (width) " " (height) }
                width="100%" preserveAspectRatio="xMinYMin meet" focusable="false" {
                title id={ (id) "-title" } { (title) }
                @for (i, bar) in bars.iter().enumerate() {
                    @let y = ROW * i as i64 + 4;
                    @let length = (bar.value.max(0) * BAR_SPACE) / max;
                    text x=(LABEL_WIDTH - 8) y=(y + 19) text-anchor="end" font-size="16" fill="#0b0c0c" { (bar.label) }
                    rect x=(LABEL_WIDTH) y=(y + 4) width=(length) height=(ROW - 10) fill="#1d70b8" {}
                    text x=(LABEL_WIDTH + length + 6) y=(y + 19) font-size="16" fill="#0b0c0c" { (bar.text) }
                }
                line x1=(LABEL_WIDTH) y1="0" x2=(LABEL_WIDTH) y2=(height) stroke="#0b0c0c" stroke-width="2" {}
            }
            figcaption class="govuk-body-s" { (title) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_in_proportion_and_each_says_its_value_in_words() {
        let bars = [
            Bar { label: "April".into(), value: 300, text: "£3.00".into() },
            Bar { label: "May".into(), value: 150, text: "£1.50".into() },
            Bar { label: "June".into(), value: -20, text: "-£0.20".into() },
        ];
        let svg = bar_chart("paid", "Paid each month", &bars).into_string();
        assert!(svg.contains(r#"role="img" aria-labelledby="paid-title""#));
        assert!(svg.contains(&format!(r#"width="{BAR_SPACE}""#)), "the largest fills the space");
        assert!(svg.contains(&format!(r#"width="{}""#, BAR_SPACE / 2)), "half as much, half as long");
        assert!(svg.contains(r#"width="0""#), "a negative value has no bar");
        for text in ["April", "£3.00", "May", "£1.50", "June", "-£0.20"] {
            assert!(svg.contains(&format!(">{text}</text>")), "{text} is written out");
        }
        assert!(!svg.contains("style="), "no inline styles: the Content-Security-Policy forbids them");
    }
}
