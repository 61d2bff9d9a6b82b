using System.Globalization;
using System.Text;
using SkiaSharp;
using Transfer.Evaluation;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.Reporting;

/// <summary>
/// A report people look at rather than read: metrics, per-class table, confusion heat map, training curves,
/// most confused pairs, the highest-loss test images as thumbnails, the dataset summary and the run manifest.
/// <see cref="Write"/> saves one self-contained HTML file (plots and thumbnails inlined as <c>data:</c> URIs, no
/// external URL); <see cref="ToMarkdown"/> gives a compact summary for terminals.
/// </summary>
/// <example>
/// <code>
/// var report = EvaluationReport.Create(result.Evaluation, result.TestFeatures.Images, result.Model.Head.History,
///     DatasetSummary.FromImageSets(train, test), RunManifest.FromModel(result.Model, seed: 42));
/// report.Write("photos.report.html");
/// Console.WriteLine(report.ToMarkdown());
/// </code>
/// </example>
public sealed class EvaluationReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private EvaluationReport(EvaluationResult evaluation, IReadOnlyList<ImageEntry>? testImages, TrainingHistory? history, DatasetSummary? dataset, RunManifest? manifest, EvaluationReportOptions options)
    {
        Evaluation = evaluation;
        TestImages = testImages;
        History = history;
        Dataset = dataset;
        Manifest = manifest;
        Options = options;
        MostConfused = FindMostConfused(evaluation, options.ConfusedPairCount);
        TopLosses = FindTopLosses(evaluation, testImages, options.TopLossCount);
    }

    /// <summary>Gets the metrics the report shows.</summary>
    public EvaluationResult Evaluation { get; }

    /// <summary>Gets the test images, one per evaluation row, or <see langword="null"/> when not given (no thumbnails).</summary>
    public IReadOnlyList<ImageEntry>? TestImages { get; }

    /// <summary>Gets the head's per-epoch history, or <see langword="null"/> for heads without one (ML.NET trainers).</summary>
    public TrainingHistory? History { get; }

    /// <summary>Gets the dataset summary, or <see langword="null"/> when not given.</summary>
    public DatasetSummary? Dataset { get; }

    /// <summary>Gets the run manifest, or <see langword="null"/> when not given.</summary>
    public RunManifest? Manifest { get; }

    /// <summary>Gets the options.</summary>
    public EvaluationReportOptions Options { get; }

    /// <summary>Gets the most confused (true, predicted) class pairs, most mistakes first, at most <see cref="EvaluationReportOptions.ConfusedPairCount"/>.</summary>
    public IReadOnlyList<ConfusedPair> MostConfused { get; }

    /// <summary>Gets the test images with the highest loss, highest first, at most <see cref="EvaluationReportOptions.TopLossCount"/>.</summary>
    public IReadOnlyList<TopLoss> TopLosses { get; }

    /// <summary>Builds a report.</summary>
    /// <param name="evaluation">The test-set metrics (<see cref="Evaluator"/>).</param>
    /// <param name="testImages">The test images in evaluation row order (a pipeline's <c>TestFeatures.Images</c>); <see langword="null"/> shows top losses without thumbnails.</param>
    /// <param name="history">The head's training history (<c>TrainedHead.History</c>); <see langword="null"/> says the curves are not applicable.</param>
    /// <param name="dataset">The dataset summary; <see langword="null"/> leaves that section out.</param>
    /// <param name="manifest">The run manifest; <see langword="null"/> leaves that section out.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or <paramref name="testImages"/> does not match the evaluation's rows (count or labels).</exception>
    public static EvaluationReport Create(EvaluationResult evaluation, IReadOnlyList<ImageEntry>? testImages = null, TrainingHistory? history = null, DatasetSummary? dataset = null, RunManifest? manifest = null, EvaluationReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        options ??= new EvaluationReportOptions();
        options.Validate();
        if (testImages is not null)
        {
            if (testImages.Count != evaluation.Count)
            {
                throw new ArgumentException($"Parameter \"testImages\" must hold one image per evaluated row ({evaluation.Count}), had {testImages.Count}. Pass the test features' Images list (FeaturizationResult.Images), which skips the same images the evaluation skipped.", nameof(testImages));
            }

            for (int i = 0; i < testImages.Count; i++)
            {
                string expected = evaluation.Classes[evaluation.Labels[i]];
                if (!string.Equals(testImages[i].Label, expected, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Parameter \"testImages\" is not in evaluation row order: row {i} is \"{testImages[i].Name}\" labelled \"{testImages[i].Label}\", but the evaluation's row {i} is class \"{expected}\". Pass the test features' Images list (FeaturizationResult.Images).", nameof(testImages));
                }
            }
        }

        return new EvaluationReport(evaluation, testImages, history, dataset, manifest, options);
    }

    /// <summary>Writes the report as one self-contained HTML file, atomically.</summary>
    /// <param name="path">The HTML file (e.g. <c>model.report.html</c>); its folder is created.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ReportFile.WriteAtomically(path, ToHtml());
    }

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
        h.Append(Dataset is null ? string.Empty : "<a href=\"#dataset\">Dataset</a>").Append(Manifest is null ? string.Empty : "<a href=\"#manifest\">Run manifest</a>").Append("</nav>\n<main>\n");

        AppendSummary(h);
        AppendPerClass(h);
        AppendConfusion(h);
        AppendTraining(h);
        AppendConfusedPairs(h);
        AppendTopLosses(h);
        AppendDataset(h);
        AppendManifest(h);

        h.Append(C, $"</main>\n<footer>Written by Transfer {Html.Encode(typeof(EvaluationReport).Assembly.GetName().Version?.ToString(3))} · self-contained: no external resources</footer>\n</body>\n</html>\n");
        return h.ToString();
    }

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
        }

        if (Manifest is { } r)
        {
            string timings = string.Join(", ", r.TimingsSeconds.Select(t => string.Create(C, $"{t.Key} {t.Value:F1} s")));
            m.AppendLine(C, $"Run: {Md(r.Backbone)} ({Short(r.BackboneFingerprint)}), head {Md(r.Head)}, seed {(r.Seed?.ToString(C) ?? "none")}, dataset {Short(r.DatasetHash)}{(timings.Length > 0 ? "; " + timings : string.Empty)}.");
        }

        return m.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToMarkdown();

    private static List<ConfusedPair> FindMostConfused(EvaluationResult e, int count)
    {
        int n = e.Classes.Count;
        var pairs = new List<ConfusedPair>();
        for (int i = 0; i < n; i++)
        {
            int support = 0;
            for (int j = 0; j < n; j++)
            {
                support += e.ConfusionMatrix[i, j];
            }

            for (int j = 0; j < n; j++)
            {
                if (i != j && e.ConfusionMatrix[i, j] > 0)
                {
                    pairs.Add(new ConfusedPair(e.Classes[i], e.Classes[j], e.ConfusionMatrix[i, j], (double)e.ConfusionMatrix[i, j] / support));
                }
            }
        }

        return [.. pairs.OrderByDescending(p => p.Count).ThenByDescending(p => p.FractionOfTrue).ThenBy(p => p.TrueLabel, StringComparer.Ordinal).ThenBy(p => p.PredictedLabel, StringComparer.Ordinal).Take(count)];
    }

    private static List<TopLoss> FindTopLosses(EvaluationResult e, IReadOnlyList<ImageEntry>? images, int count)
    {
        int n = e.Count, c = e.Classes.Count;
        var losses = new List<TopLoss>(n);
        for (int i = 0; i < n; i++)
        {
            int label = e.Labels[i];
            int best = 0;
            for (int k = 1; k < c; k++)
            {
                if (e.Probabilities[(i * c) + k] > e.Probabilities[(i * c) + best])
                {
                    best = k;
                }
            }

            double truth = e.Probabilities[(i * c) + label];
            double loss = -Math.Log(Math.Max(truth, 1e-15));
            string source = images?[i].Name ?? string.Create(C, $"#{i}");
            losses.Add(new TopLoss(i, source, e.Classes[label], e.Classes[best], e.Probabilities[(i * c) + best], truth, loss));
        }

        return [.. losses.OrderByDescending(t => t.Loss).ThenBy(t => t.Row).Take(count)];
    }

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
                var (png, error) = Thumbnail.Create(TestImages[t.Row], Options.ThumbnailSize);
                h.Append(png is null
                    ? string.Create(C, $"<div class=\"missing\" style=\"width:{Options.ThumbnailSize}px;height:{Options.ThumbnailSize}px\">image unavailable: {Html.Encode(error)}</div>")
                    : string.Create(C, $"<img class=\"thumb\" alt=\"{Html.Encode(ShortName(t.Source))}\" src=\"{DataUri(png)}\">"));
            }

            h.Append(C, $"<figcaption><div>true: <b>{Html.Encode(t.TrueLabel)}</b></div><div>predicted: <b>{Html.Encode(t.PredictedLabel)}</b> ({Percent(t.Confidence)})</div><div class=\"n\">p(true) {Percent(t.TrueProbability)} · loss {t.Loss:F2}</div><div class=\"n file\" title=\"{Html.Encode(t.Source)}\">{Html.Encode(ShortName(t.Source))}</div></figcaption></figure>\n");
        }

        h.Append("</div></section>\n");
    }

    private void AppendDataset(StringBuilder h)
    {
        if (Dataset is not { } d)
        {
            return;
        }

        h.Append(C, $"<section id=\"dataset\"><h2>Dataset</h2><p>{d.TrainCount} training and {d.TestCount} test images in {d.Classes.Count} classes; {d.Skipped.Count} skipped.</p>");
        h.Append("<table id=\"class-counts-table\" class=\"num\"><thead><tr><th>class</th><th>train</th><th>test</th></tr></thead><tbody>\n");
        foreach (var c in d.Classes)
        {
            h.Append(C, $"<tr><td class=\"label\">{Html.Encode(c.Name)}</td><td>{c.Train}</td><td>{c.Test}</td></tr>\n");
        }

        h.Append(C, $"</tbody><tfoot><tr><td class=\"label\">total</td><td>{d.TrainCount}</td><td>{d.TestCount}</td></tr></tfoot></table>");

        h.Append(C, $"<h3>Skipped images ({d.Skipped.Count})</h3>");
        if (d.Skipped.Count == 0)
        {
            h.Append("<p class=\"na\">None: every image was used.</p>");
        }
        else
        {
            h.Append("<table id=\"skipped-table\"><thead><tr><th>image</th><th>reason</th></tr></thead><tbody>\n");
            foreach (var s in d.Skipped)
            {
                h.Append(C, $"<tr><td class=\"file\">{Html.Encode(s.Source)}</td><td>{Html.Encode(s.Reason)}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append(C, $"<h3>Duplicates{(d.Duplicates is null ? string.Empty : string.Create(C, $" ({d.Duplicates.Count} {(d.Duplicates.Count == 1 ? "group" : "groups")})"))}</h3>");
        if (d.Duplicates is null)
        {
            h.Append("<p class=\"na\">Not checked: no duplicate audit was given.</p>");
        }
        else if (d.Duplicates.Count == 0)
        {
            h.Append("<p class=\"na\">None found: no two images have the same content.</p>");
        }
        else
        {
            h.Append("<table id=\"duplicates-table\"><thead><tr><th>content SHA-256</th><th>images</th></tr></thead><tbody>\n");
            foreach (var g in d.Duplicates)
            {
                h.Append(C, $"<tr><td class=\"hash\">{Html.Encode(Short(g.ContentHash))}</td><td class=\"file\">{string.Join("<br>", g.Sources.Select(Html.Encode))}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append(C, $"<h3>Train/test leakage{(d.Leaks is null ? string.Empty : string.Create(C, $" ({d.Leaks.Count} shared {(d.Leaks.Count == 1 ? "image" : "images")})"))}</h3>");
        if (d.Leaks is null)
        {
            h.Append("<p class=\"na\">Not checked: no leakage audit was given.</p>");
        }
        else if (d.Leaks.Count == 0)
        {
            h.Append("<p class=\"na\">None found: no test image's content is also in the training set.</p>");
        }
        else
        {
            h.Append("<p class=\"warn\">These test images are also in the training set, so the test metrics above overstate accuracy.</p><table id=\"leaks-table\"><thead><tr><th>content SHA-256</th><th>in training set</th><th>in test set</th></tr></thead><tbody>\n");
            foreach (var l in d.Leaks)
            {
                h.Append(C, $"<tr><td class=\"hash\">{Html.Encode(Short(l.ContentHash))}</td><td class=\"file\">{string.Join("<br>", l.TrainSources.Select(Html.Encode))}</td><td class=\"file\">{string.Join("<br>", l.TestSources.Select(Html.Encode))}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append("</section>\n");
    }

    private void AppendManifest(StringBuilder h)
    {
        if (Manifest is not { } r)
        {
            return;
        }

        h.Append("<section id=\"manifest\"><h2>Run manifest</h2><table id=\"manifest-table\" class=\"kv\"><tbody>\n");
        Row("backbone", r.Backbone);
        Row("backbone fingerprint", r.BackboneFingerprint, "hash");
        Row("preprocessing", r.Preprocessing ?? "unknown");
        Row("head", r.Head);
        Row("head options", r.HeadOptions);
        if (r.Estimate is { } estimate)
        {
            Row("estimate", $"{estimate.Method}: {estimate}");
        }

        if (r.TrainedOnImages is { } trainedOn)
        {
            Row("saved head trained on", string.Create(C, $"{trainedOn} images"));
        }

        Row("test-time augmentation", r.TestTimeAugmentation);
        Row("seed", r.Seed?.ToString(C) ?? "none");
        Row("dataset hash", r.DatasetHash ?? "not computed", "hash");
        Row("classes", string.Join(", ", r.Classes));
        Row("machine", r.Machine);
        Row("created", r.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", C) + " UTC");
        foreach (var t in r.TimingsSeconds)
        {
            Row("time: " + t.Key, string.Create(C, $"{t.Value:F2} s"));
        }

        h.Append("</tbody></table><h3>Package versions</h3><table id=\"packages-table\" class=\"kv\"><tbody>\n");
        foreach (var p in r.Packages)
        {
            Row(p.Key, p.Value);
        }

        h.Append(C, $"</tbody></table><details><summary>As JSON (saved beside the model as <code>&lt;model&gt;{RunManifest.FileSuffix}</code>)</summary><pre>{Html.Encode(r.ToJson())}</pre></details></section>\n");

        void Row(string key, string value, string? css = null) =>
            h.Append(C, $"<tr><th>{Html.Encode(key)}</th><td{(css is null ? string.Empty : $" class=\"{css}\"")}>{Html.Encode(value)}</td></tr>\n");
    }

    private string TrainingSentence()
    {
        if (History is not { Epochs.Count: > 0 } history)
        {
            string head = Manifest?.Head is { Length: > 0 } name ? $"the head \"{name}\"" : "this head";
            return $"Not applicable: {head} records no per-epoch history (ML.NET trainers such as L-BFGS, SDCA and LightGBM train in one call). Neural heads (SoftmaxHead, MlpHead) have curves.";
        }

        var last = history.Epochs[^1];
        string stop = history.StoppedEarly
            ? string.Create(C, $"early stopping ended training after epoch {last.Epoch} of {last.TotalEpochs}; the weights of epoch {history.BestEpoch} (dashed line) were kept")
            : string.Create(C, $"all {last.Epoch} planned epochs ran; the weights of epoch {history.BestEpoch} (dashed line) were kept");
        return string.Create(C, $"{history.Epochs.Count} epochs, {history.Epochs.Sum(x => x.Elapsed.TotalSeconds):F1} s: {stop}.");
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("F1", C) + "%";

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static string ShortName(string source) => source.StartsWith('#') ? source : Path.GetFileName(source) is { Length: > 0 } f ? f : source;

    private static string Short(string? hash) => hash is null ? "not computed" : hash.Length > 12 ? hash[..12] + "…" : hash;

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
