using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Google.Protobuf;
using Onnx;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Static int8 quantization of a backbone: fold BatchNorm, calibrate activation ranges on the fp32 graph, write the
/// QDQ graph, check it, and compare its features with fp32 on held-out images (the accuracy guard).
/// </summary>
internal static class BackboneQuantizer
{
    /// <summary>The name the preprocessing prefix gives the backbone's image input (see <see cref="BackboneGraph.Build"/>).</summary>
    private const string NormalizedInput = "transfer_normalized";

    public static async Task<Backbone> QuantizeAsync(Backbone fp32, ImageSet images, QuantizationOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var (calibration, heldOut) = Sample(images, options);
        var pixels = DecodePixels(fp32, calibration, options, progress, ct);
        var build = await Task.Run(() => Build(fp32, pixels, calibration.Count, options, progress, ct), ct).ConfigureAwait(false);
        var (quantized, plan, foldedCount, convs) = (build.Quantized, build.Plan, build.BatchNormsFolded, build.QuantizedConvs);
        progress?.Report(new QuantizationProgress("write", 1, 1));
        var report = new QuantizationReport
        {
            Settings = options.CanonicalKey(),
            SourceFingerprint = fp32.Fingerprint,
            CalibrationImages = calibration.Count,
            HeldOutImages = heldOut.Count,
            BatchNormsFolded = foldedCount,
            QuantizedConvs = convs,
            QuantizedTensors = plan.Tensors.Count,
            KeptFp32 = plan.KeptFp32,
        };
        var descriptor = fp32.Descriptor with { Name = fp32.Name + "-int8" };
        var int8 = Backbone.FromQuantized(quantized.ToByteArray(), descriptor, $"int8 of {fp32.Source}", report, fp32.InputResized);

        // 3. The accuracy guard.
        if (heldOut.Count > 0)
        {
            report = await GuardAsync(fp32, int8, calibration, heldOut, report, options, progress, ct).ConfigureAwait(false);
        }

        report = report with { Elapsed = clock.Elapsed };
        int8 = Backbone.FromQuantized(quantized.ToByteArray(), descriptor, $"int8 of {fp32.Source}", report, fp32.InputResized);
        if (options.Logger is { } logger)
        {
            foreach (var w in report.Warnings)
            {
                QuantizationLog.GuardMissed(logger, int8.Name, w);
            }

            QuantizationLog.Quantized(logger, int8.Name, report);
        }

        if (report.Warnings.Count > 0 && options.GuardAction == AccuracyGuardAction.Refuse)
        {
            throw new QuantizationAccuracyException($"The int8 backbone \"{int8.Name}\" was refused by the accuracy guard: {string.Join(" ", report.Warnings)} Calibrate on more or more representative images, try another CalibrationMethod, keep sensitive nodes in fp32 (QuantizationOptions.KeepFp32), or relax MinMeanCosine/MaxAccuracyDrop.", report);
        }

        return int8;
    }

    /// <summary>
    /// Folds BatchNorm, calibrates on <paramref name="pixels"/> (planar A,R,G,B, <paramref name="count"/> images, the
    /// preprocessing of <paramref name="options"/>) and writes the checked QDQ graph: quantization without the guard.
    /// </summary>
    public static QdqBuild Build(Backbone fp32, float[] pixels, int count, QuantizationOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        var (folded, foldedCount) = BatchNormFolding.Fold(fp32.LoadSourceModel());
        var plan = QdqPlan.Create(folded.Graph, options.KeepFp32);
        var unknown = options.KeepFp32.Where(k => !folded.Graph.Node.Any(n => n.Name == k || n.OpType == k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"QuantizationOptions.KeepFp32 names [{string.Join(", ", unknown)}], which match no node name or op type of backbone \"{fp32.Name}\". Use node names or op types of the model (e.g. Conv, Add).", nameof(options));
        }

        // Calibrate on the fp32 (folded) pixels → features graph; the backbone's input is the preprocessing output there.
        var fused = BackboneGraph.Build(folded, fp32.Descriptor, options.Preprocessing.AlphaBackground, fp32.InputResized);
        string Fused(string t) => t == fp32.Descriptor.InputName ? NormalizedInput : t;
        var calibrated = plan.CalibratedTensors.ToList();
        var fusedRanges = ActivationCalibrator.Calibrate(fused, [.. calibrated.Select(Fused)], pixels, count, fp32.Width, fp32.Height, options, progress, ct);
        var ranges = calibrated.ToDictionary(t => t, t => QuantizationParameters.FromRange(fusedRanges[Fused(t)].Low, fusedRanges[Fused(t)].High), StringComparer.Ordinal);
        var quantized = QdqGraphWriter.Write(folded, options.KeepFp32, ranges, options.ReduceWeightRange, options.SearchWeightScales, out int convs);
        var problems = OnnxStructure.Check(quantized);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The quantized graph of backbone \"{fp32.Name}\" is malformed (a Transfer bug; report it with the model): {string.Join(" ", problems)}");
        }

        return new QdqBuild(folded, quantized, plan, foldedCount, convs);
    }

    /// <summary>Decodes images into planar A,R,G,B floats at the backbone's input size, as calibration reads them.</summary>
    public static float[] DecodePixels(Backbone fp32, ImageSet images, QuantizationOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        int perImage = 4 * fp32.Width * fp32.Height;
        var pixels = new float[(long)images.Count * perImage];
        for (int i = 0; i < images.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var entry = images.Entries[i];
            ImageDecoder.DecodeToPlanes(entry.ReadBytes().Span, entry.Name, fp32.Width, fp32.Height, options.Preprocessing, pixels.AsSpan(i * perImage, perImage));
            progress?.Report(new QuantizationProgress("decode", i + 1, images.Count));
        }

        return pixels;
    }

    /// <summary>The fp32 backbone with its BatchNorms folded into the Convs (for tests of the folding).</summary>
    public static Backbone FoldedFp32(Backbone fp32)
    {
        var (folded, _) = BatchNormFolding.Fold(fp32.LoadSourceModel());
        return Backbone.FromBytes(folded.ToByteArray(), fp32.Descriptor);
    }

    private static async Task<QuantizationReport> GuardAsync(Backbone fp32, Backbone int8, ImageSet calibration, ImageSet heldOut, QuantizationReport report, QuantizationOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        var featurizerOptions = new FeaturizerOptions { Preprocessing = options.Preprocessing, BatchSize = options.BatchSize };
        FeaturizationResult f32Held, i8Held, f32Cal, i8Cal;
        using (var f = new Featurizer(fp32, featurizerOptions))
        {
            f32Held = await f.FeaturizeAsync(heldOut, null, null, ct).ConfigureAwait(false);
            f32Cal = await f.FeaturizeAsync(calibration, null, null, ct).ConfigureAwait(false);
        }

        progress?.Report(new QuantizationProgress("guard", 1, 2));
        using (var f = new Featurizer(int8, featurizerOptions))
        {
            i8Held = await f.FeaturizeAsync(heldOut, null, null, ct).ConfigureAwait(false);
            i8Cal = await f.FeaturizeAsync(calibration, null, null, ct).ConfigureAwait(false);
        }

        progress?.Report(new QuantizationProgress("guard", 2, 2));
        var (mean, min) = Cosines(f32Held.Features, i8Held.Features);
        var warnings = new List<string>();
        if (mean < options.MinMeanCosine)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"mean cosine of int8 to fp32 features on {heldOut.Count} held-out images is {mean:F4}, below MinMeanCosine {options.MinMeanCosine:F4}."));
        }

        double? fp32Accuracy = null, int8Accuracy = null;
        if (calibration.Entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count() >= 2)
        {
            fp32Accuracy = HeadAccuracy(f32Cal.Features, f32Held.Features, calibration.Classes);
            int8Accuracy = HeadAccuracy(i8Cal.Features, i8Held.Features, calibration.Classes);
            if (fp32Accuracy - int8Accuracy > options.MaxAccuracyDrop)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture, $"held-out accuracy of a head on int8 features is {int8Accuracy:F3} vs {fp32Accuracy:F3} on fp32, a drop of {fp32Accuracy - int8Accuracy:F3} above MaxAccuracyDrop {options.MaxAccuracyDrop:F3}."));
            }
        }

        return report with { MeanCosine = mean, MinCosine = min, Fp32Accuracy = fp32Accuracy, Int8Accuracy = int8Accuracy, Warnings = warnings };
    }

    private static (double Mean, double Min) Cosines(FeatureMatrix a, FeatureMatrix b)
    {
        double sum = 0, min = double.PositiveInfinity;
        for (int i = 0; i < a.Count; i++)
        {
            double c = TensorPrimitives.CosineSimilarity(a.Row(i), b.Row(i));
            sum += c;
            min = Math.Min(min, c);
        }

        return (sum / a.Count, min);
    }

    private static double HeadAccuracy(FeatureMatrix train, FeatureMatrix test, IReadOnlyList<string> classes)
    {
        var head = new MlNetHeadTrainer().Train(train, null, classes);
        var p = head.PredictProbabilities(test);
        int k = classes.Count, correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            if (TensorPrimitives.IndexOfMax(p.AsSpan(i * k, k)) == test.Labels[i])
            {
                correct++;
            }
        }

        return correct / (double)test.Count;
    }

    /// <summary>Stratified, reproducible samples: classes take turns, each in a seeded shuffle; held-out images never calibrate.</summary>
    public static (ImageSet Calibration, ImageSet HeldOut) Sample(ImageSet images, QuantizationOptions options)
    {
        if (images.Count == 0)
        {
            throw new ArgumentException("The calibration image set is empty. Pass the training images (a stratified sample of QuantizationOptions.CalibrationImageCount is taken).", nameof(images));
        }

        var random = new Random(options.Seed);
        var queues = images.Entries.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var items = g.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
                random.Shuffle(items);
                return new Queue<ImageEntry>(items);
            }).ToList();
        List<ImageEntry> Take(int count)
        {
            var taken = new List<ImageEntry>(count);
            while (taken.Count < count && queues.Any(q => q.Count > 0))
            {
                foreach (var q in queues.Where(q => q.Count > 0))
                {
                    if (taken.Count == count)
                    {
                        break;
                    }

                    taken.Add(q.Dequeue());
                }
            }

            return taken;
        }

        var calibration = Take(options.CalibrationImageCount);
        var heldOut = options.HeldOutImages?.Entries.ToList() ?? Take(options.HeldOutImageCount);
        var classes = options.HeldOutImages is null ? images.Classes : images.Classes.Union(options.HeldOutImages.Classes).Order(StringComparer.Ordinal).ToList();
        return (ImageSet.FromEntries(calibration, classes), ImageSet.FromEntries(heldOut, classes));
    }
}
