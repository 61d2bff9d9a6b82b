using System.Text;
using SkiaSharp;

namespace Transfer.Reporting;

/// <content>The HTML sections about the results: summary cards, per-class table, confusion matrix, training curves, most confused pairs and top losses.</content>
public sealed partial class EvaluationReport
{
    private void AppendSummary(StringBuilder h)
    {
        var e = Evaluation;
        int correct = 0;
        for (int i = 0; i < e.Classes.Count; i++)
        {
            correct += e.ConfusionMatrix[i, i];
        }

        h.Append("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
        Card(h, "micro-accuracy", e.MicroAccuracy.ToString("F4", C), string.Create(C, $"{correct} of {e.Count} right"));
        Card(h, "macro-accuracy", e.MacroAccuracy.ToString("F4", C), "mean of per-class recall");
        Card(h, "log-loss", e.LogLoss.ToString("F4", C), string.Create(C, $"reduction {e.LogLossReduction:F4}"));
        Card(h, string.Create(C, $"top-{e.TopK} accuracy"), e.TopKAccuracy.ToString("F4", C), string.Create(C, $"true class among the {e.TopK} most probable"));
        h.Append("</div></section>\n");

        static void Card(StringBuilder h, string name, string value, string note) =>
            h.Append(C, $"<div class=\"card\"><div class=\"k\">{Html.Encode(name)}</div><div class=\"v\">{value}</div><div class=\"n\">{Html.Encode(note)}</div></div>");
    }

    private void AppendPerClass(StringBuilder h)
    {
        var e = Evaluation;
        h.Append("<section id=\"per-class\"><h2>Per-class metrics</h2><table id=\"per-class-table\" class=\"num\"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>\n");
        foreach (var c in e.PerClass)
        {
            h.Append(C, $"<tr><td class=\"label\">{Html.Encode(c.Name)}</td><td>{c.Precision:F3}</td><td>{c.Recall:F3}</td><td><span class=\"bar\" style=\"width:{c.F1 * 60:F0}px\"></span>{c.F1:F3}</td><td>{c.Support}</td></tr>\n");
        }

        double n = Math.Max(1, e.PerClass.Count);
        h.Append(C, $"</tbody><tfoot><tr><td class=\"label\">macro average</td><td>{e.PerClass.Sum(c => c.Precision) / n:F3}</td><td>{e.PerClass.Sum(c => c.Recall) / n:F3}</td><td>{e.PerClass.Sum(c => c.F1) / n:F3}</td><td>{e.PerClass.Sum(c => c.Support)}</td></tr></tfoot></table></section>\n");
    }

    private void AppendConfusion(StringBuilder h)
    {
        var e = Evaluation;
        int n = e.Classes.Count;
        h.Append("<section id=\"confusion\"><h2>Confusion matrix</h2>");
        h.Append(C, $"<img class=\"plot\" id=\"confusion-heatmap\" alt=\"Confusion matrix heat map, {n} × {n} classes\" src=\"{DataUri(ReportCharts.ConfusionHeatMap(e.Classes, e.ConfusionMatrix))}\">");
        h.Append("<details><summary>Counts as a table (rows: true class, columns: predicted)</summary><table id=\"confusion-table\" class=\"num\"><thead><tr><th>true \\ predicted</th>");
        foreach (string c in e.Classes)
        {
            h.Append(C, $"<th>{Html.Encode(c)}</th>");
        }

        h.Append("</tr></thead><tbody>\n");
        for (int i = 0; i < n; i++)
        {
            h.Append(C, $"<tr><th class=\"label\">{Html.Encode(e.Classes[i])}</th>");
            for (int j = 0; j < n; j++)
            {
                h.Append(C, $"<td{(i == j ? " class=\"diag\"" : string.Empty)}>{e.ConfusionMatrix[i, j]}</td>");
            }

            h.Append("</tr>\n");
        }

        h.Append("</tbody></table></details></section>\n");
    }

    private void AppendTraining(StringBuilder h)
    {
        h.Append("<section id=\"training\"><h2>Training curves</h2>");
        if (History is not { Epochs.Count: > 0 } history)
        {
            h.Append(C, $"<p class=\"na\">{Html.Encode(TrainingSentence())}</p></section>\n");
            return;
        }

        var epochs = history.Epochs;
        bool validation = epochs.Any(x => x.ValidationAccuracy is not null);
        var blue = new SKColor(0x1F, 0x5A, 0xA6);
        var orange = new SKColor(0xD9, 0x48, 0x01);
        var loss = new List<ChartSeries> { new("train", blue, [.. epochs.Select(x => (double?)x.TrainCrossEntropy)]) };
        var accuracy = new List<ChartSeries> { new("train", blue, [.. epochs.Select(x => (double?)x.TrainAccuracy)]) };
        if (validation)
        {
            loss.Add(new("validation", orange, [.. epochs.Select(x => x.ValidationCrossEntropy)]));
            accuracy.Add(new("validation", orange, [.. epochs.Select(x => x.ValidationAccuracy)]));
        }

        var rates = epochs.Select(x => x.LearningRate).ToList();
        bool logRate = rates.All(r => r > 0) && rates.Max() / rates.Min() > 20;
        h.Append(C, $"<p>{Html.Encode(TrainingSentence())}</p><div class=\"plots\">");
        h.Append(C, $"<img class=\"plot\" id=\"loss-curve\" alt=\"Cross-entropy per epoch\" src=\"{DataUri(ReportCharts.LineChart("Loss (cross-entropy)", "cross-entropy", loss, history.BestEpoch))}\">");
        h.Append(C, $"<img class=\"plot\" id=\"accuracy-curve\" alt=\"Accuracy per epoch\" src=\"{DataUri(ReportCharts.LineChart("Accuracy", "accuracy", accuracy, history.BestEpoch))}\">");
        h.Append(C, $"<img class=\"plot\" id=\"learning-rate-curve\" alt=\"Learning rate per epoch\" src=\"{DataUri(ReportCharts.LineChart("Learning rate", "learning rate", [new("learning rate", new SKColor(0x2E, 0x7D, 0x32), [.. rates.Select(r => (double?)r)])], history.BestEpoch, logRate))}\">");
        h.Append("</div><details><summary>Per-epoch table</summary><table id=\"epoch-table\" class=\"num\"><thead><tr><th>epoch</th><th>train accuracy</th><th>train loss</th><th>validation accuracy</th><th>validation loss</th><th>learning rate</th><th>seconds</th></tr></thead><tbody>\n");
        foreach (var x in epochs)
        {
            h.Append(C, $"<tr{(x.Epoch == history.BestEpoch ? " class=\"best\"" : string.Empty)}><td>{x.Epoch}</td><td>{x.TrainAccuracy:F4}</td><td>{x.TrainCrossEntropy:F4}</td><td>{Opt(x.ValidationAccuracy)}</td><td>{Opt(x.ValidationCrossEntropy)}</td><td>{x.LearningRate:G4}</td><td>{x.Elapsed.TotalSeconds:F2}</td></tr>\n");
        }

        h.Append("</tbody></table></details></section>\n");

        static string Opt(double? v) => v?.ToString("F4", C) ?? "–";
    }

    private void AppendConfusedPairs(StringBuilder h)
    {
        h.Append("<section id=\"confused-pairs\"><h2>Most confused pairs</h2>");
        if (MostConfused.Count == 0)
        {
            h.Append(Options.ConfusedPairCount == 0 ? "<p class=\"na\">Not listed (ConfusedPairCount = 0).</p>" : "<p class=\"na\">No mistakes: every test image was classified correctly.</p>");
            h.Append("</section>\n");
            return;
        }

        h.Append("<table id=\"confused-pairs-table\" class=\"num\"><thead><tr><th>true class</th><th>predicted as</th><th>images</th><th>of the true class</th></tr></thead><tbody>\n");
        foreach (var p in MostConfused)
        {
            h.Append(C, $"<tr><td class=\"label\">{Html.Encode(p.TrueLabel)}</td><td class=\"label\">{Html.Encode(p.PredictedLabel)}</td><td>{p.Count}</td><td>{Percent(p.FractionOfTrue)}</td></tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private void AppendTopLosses(StringBuilder h)
    {
        h.Append("<section id=\"top-losses\"><h2>Top losses</h2>");
        if (TopLosses.Count == 0)
        {
            h.Append("<p class=\"na\">Not shown (TopLossCount = 0).</p></section>\n");
            return;
        }

        h.Append(C, $"<p>The {TopLosses.Count} test images the head was most wrong about (highest cross-entropy of the true class), highest first.{(TestImages is null ? " No test images were given, so there are no thumbnails." : string.Empty)}</p><div class=\"gallery\">\n");
        foreach (var t in TopLosses)
        {
            bool wrong = !string.Equals(t.TrueLabel, t.PredictedLabel, StringComparison.Ordinal);
            h.Append(C, $"<figure class=\"top-loss{(wrong ? " wrong" : string.Empty)}\" data-row=\"{t.Row}\">");
            if (TestImages is not null)
            {
                h.Append(ThumbnailHtml(TestImages[t.Row], Options.ThumbnailSize));
            }

            h.Append(C, $"<figcaption><div>true: <b>{Html.Encode(t.TrueLabel)}</b></div><div>predicted: <b>{Html.Encode(t.PredictedLabel)}</b> ({Percent(t.Confidence)})</div><div class=\"n\">p(true) {Percent(t.TrueProbability)} · loss {t.Loss:F2}</div><div class=\"n file\" title=\"{Html.Encode(t.Source)}\">{Html.Encode(ShortName(t.Source))}</div></figcaption>");
            AppendNearestTraining(h, t.Row);
            h.Append("</figure>\n");
        }

        h.Append("</div></section>\n");
    }
}
