using System.Text;

namespace Transfer.Reporting;

/// <content>The compact Markdown summary for terminals.</content>
public sealed partial class EvaluationReport
{
    /// <summary>Formats a compact Markdown summary for terminals: metrics, per-class table, most confused pairs, top losses, training, dataset and run.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown()
    {
        var e = Evaluation;
        var m = new StringBuilder();
        m.AppendLine(C, $"## {Md(Options.Title)}: {e.Count} test images, {e.Classes.Count} classes");
        m.AppendLine();
        m.AppendLine(C, $"| micro-accuracy | macro-accuracy | log-loss | log-loss reduction | top-{e.TopK} accuracy |");
        m.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        m.AppendLine(C, $"| {e.MicroAccuracy:F4} | {e.MacroAccuracy:F4} | {e.LogLoss:F4} | {e.LogLossReduction:F4} | {e.TopKAccuracy:F4} |");
        m.AppendLine();
        m.AppendLine("| class | precision | recall | F1 | support |");
        m.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var c in e.PerClass)
        {
            m.AppendLine(C, $"| {Md(c.Name)} | {c.Precision:F3} | {c.Recall:F3} | {c.F1:F3} | {c.Support} |");
        }

        int rows = Options.MarkdownRows;
        if (rows > 0 && MostConfused.Count > 0)
        {
            m.AppendLine();
            m.AppendLine("Most confused (true → predicted): " + string.Join(", ", MostConfused.Take(rows).Select(p => string.Create(C, $"{Md(p.TrueLabel)} → {Md(p.PredictedLabel)} ({p.Count})"))));
        }

        if (rows > 0 && TopLosses.Count > 0)
        {
            m.AppendLine();
            m.AppendLine("| top loss | image | true | predicted | confidence | loss |");
            m.AppendLine("| ---: | --- | --- | --- | ---: | ---: |");
            int rank = 1;
            foreach (var t in TopLosses.Take(rows))
            {
                m.AppendLine(C, $"| {rank++} | {Md(ShortName(t.Source))} | {Md(t.TrueLabel)} | {Md(t.PredictedLabel)} | {Percent(t.Confidence)} | {t.Loss:F2} |");
            }
        }

        m.AppendLine();
        m.AppendLine("Training: " + Md(TrainingSentence()));
        if (Dataset is { } d)
        {
            m.AppendLine(C, $"Dataset: {d.TrainCount} train / {d.TestCount} test images; {d.Skipped.Count} skipped; duplicates: {CountOrNotChecked(d.Duplicates?.Count, "group")}; train/test leaks: {CountOrNotChecked(d.Leaks?.Count, "image")}.");
            if (d.LabelAudit is { } a)
            {
                m.AppendLine(C, $"Label audit ({Md(a.Judge)}, out of fold): {CountOrNotChecked(a.Suspects.Count, "suspect label")} ({a.LabelIssues} label issues), {CountOrNotChecked(a.Duplicates.Count, "near-duplicate pair")} ({a.CrossClassDuplicates} across classes).");
            }
        }

        if (Manifest is { } r)
        {
            string timings = string.Join(", ", r.TimingsSeconds.Select(t => string.Create(C, $"{t.Key} {t.Value:F1} s")));
            m.AppendLine(C, $"Run: {Md(r.Backbone)} ({Short(r.BackboneFingerprint)}), head {Md(r.Head)}, seed {(r.Seed?.ToString(C) ?? "none")}, dataset {Short(r.DatasetHash)}{(timings.Length > 0 ? "; " + timings : string.Empty)}.");
        }

        return m.ToString();
    }

    private static string CountOrNotChecked(int? count, string unit) => count is { } n ? string.Create(C, $"{n} {unit}{(n == 1 ? string.Empty : "s")}") : "not checked";

    /// <summary>Escapes the characters that break a Markdown table cell or start markup; '_' stays as is (GitHub Markdown ignores it inside words, and terminals show it raw).</summary>
    private static string Md(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text)
        {
            if (ch is '|' or '\\' or '*' or '`' or '<' or '>')
            {
                sb.Append('\\');
            }

            sb.Append(ch is '\r' or '\n' ? ' ' : ch);
        }

        return sb.ToString();
    }
}
