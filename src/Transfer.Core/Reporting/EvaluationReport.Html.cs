using System.Text;

namespace Transfer.Reporting;

/// <content>The HTML page: its frame, navigation and style sheet (the sections are in the other EvaluationReport.Html*.cs files).</content>
public sealed partial class EvaluationReport
{
    /// <summary>Renders the report as a self-contained HTML page (UTF-8, plots and thumbnails as <c>data:</c> URIs, every label escaped).</summary>
    /// <returns>The HTML text.</returns>
    public string ToHtml()
    {
        var h = new StringBuilder(64 * 1024);
        var e = Evaluation;
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append(C, $"<title>{Html.Encode(Options.Title)}</title>\n<style>{Style}</style>\n</head>\n<body>\n");
        h.Append(C, $"<header><h1>{Html.Encode(Options.Title)}</h1><p class=\"sub\">{e.Count} test images · {e.Classes.Count} classes");
        if (Manifest is not null)
        {
            h.Append(C, $" · {Html.Encode(Manifest.Backbone)} + {Html.Encode(Manifest.Head)} · {Manifest.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        }

        h.Append("</p></header>\n<nav><a href=\"#summary\">Summary</a><a href=\"#per-class\">Per class</a><a href=\"#confusion\">Confusion matrix</a><a href=\"#training\">Training curves</a><a href=\"#confused-pairs\">Most confused</a><a href=\"#top-losses\">Top losses</a>");
        h.Append(Dataset is null ? string.Empty : "<a href=\"#label-audit\">Label audit</a><a href=\"#dataset\">Dataset</a>").Append(Manifest?.Unknown is null ? string.Empty : "<a href=\"#unknown\">Unknown</a>").Append(Manifest is null ? string.Empty : "<a href=\"#manifest\">Run manifest</a>").Append("</nav>\n<main>\n");

        AppendSummary(h);
        AppendPerClass(h);
        AppendConfusion(h);
        AppendTraining(h);
        AppendConfusedPairs(h);
        AppendTopLosses(h);
        AppendLabelAudit(h);
        AppendDataset(h);
        AppendUnknown(h);
        AppendManifest(h);

        h.Append(C, $"</main>\n<footer>Written by Transfer {Html.Encode(typeof(EvaluationReport).Assembly.GetName().Version?.ToString(3))} · self-contained: no external resources</footer>\n</body>\n</html>\n");
        return h.ToString();
    }

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private const string Style = """
        :root{--ink:#222;--muted:#666;--line:#ddd;--blue:#1f5aa6;--bg:#f6f7f9}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
        header{background:var(--blue);color:#fff;padding:18px 28px}
        header h1{margin:0;font-size:24px}
        header .sub{margin:4px 0 0;opacity:.9}
        nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;position:sticky;top:0}
        nav a{color:var(--blue);margin-right:16px;text-decoration:none}
        main{padding:8px 28px 28px;max-width:1280px}
        section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:14px 0}
        h2{margin:0 0 10px;font-size:18px}
        h3{margin:14px 0 6px;font-size:15px}
        .cards{display:flex;flex-wrap:wrap;gap:12px}
        .card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:170px;background:#fbfcfe}
        .card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
        .card .v{font-size:26px;font-weight:bold;color:var(--blue)}
        .n{color:var(--muted);font-size:12px}
        table{border-collapse:collapse;margin:4px 0}
        th,td{border-bottom:1px solid var(--line);padding:3px 10px;text-align:left;vertical-align:top}
        thead th{background:#eef2f8}
        table.num td{text-align:right;font-variant-numeric:tabular-nums}
        table.num td.label,td.label,th.label{text-align:left}
        tfoot td{font-weight:bold}
        td.diag{background:#e3ecf7;font-weight:bold}
        tr.best td{background:#eef7ee}
        .bar{display:inline-block;height:9px;background:#9fbbe0;margin-right:6px;vertical-align:middle}
        .plot{max-width:100%;border:1px solid var(--line);border-radius:4px;margin:4px 8px 4px 0}
        .plots{display:flex;flex-wrap:wrap}
        .gallery{display:flex;flex-wrap:wrap;gap:10px}
        figure.top-loss{margin:0;width:170px;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
        figure.top-loss.wrong{border-color:#e8a07a}
        .thumb{display:block;margin:0 auto 4px;image-rendering:pixelated;border:1px solid var(--line)}
        .missing{display:flex;align-items:center;justify-content:center;margin:0 auto 4px;background:#f3e5e5;color:#933;font-size:11px;text-align:center;overflow:hidden}
        .nearest{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px;border-top:1px dashed var(--line);padding-top:4px}
        .nearest>.n{width:100%}
        .neighbor{width:48px;text-align:center;font-size:10px;line-height:1.2}
        .neighbor .n{font-size:10px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
        figcaption{font-size:12px;word-break:break-word}
        .file,.hash{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
        .na{color:var(--muted);font-style:italic}
        .warn{color:#a33;font-weight:bold}
        table.kv th{width:200px;background:#fafafa;font-weight:normal;color:var(--muted)}
        pre{background:#f4f4f4;padding:10px;overflow:auto;font-size:12px}
        details{margin-top:8px}
        summary{cursor:pointer;color:var(--blue)}
        footer{color:var(--muted);font-size:12px;padding:0 28px 20px}
        """;
}
