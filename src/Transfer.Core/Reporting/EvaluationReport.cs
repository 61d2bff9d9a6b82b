using System.Globalization;
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
public sealed partial class EvaluationReport
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

    private static string ShortName(string source) => source.StartsWith('#') ? source : Path.GetFileName(source) is { Length: > 0 } f ? f : source;

    private static string Short(string? hash) => hash is null ? "not computed" : hash.Length > 12 ? hash[..12] + "…" : hash;
}
