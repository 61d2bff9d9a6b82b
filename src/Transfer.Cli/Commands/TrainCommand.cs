using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Transfer.Augmentation;
using Transfer.Cli.Output;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Pipelines;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer train &lt;folder&gt; --out &lt;model.zip&gt;</c>: featurize, train a head, evaluate, save.</summary>
internal static partial class TrainCommand
{
    public static Command Create(CliConsole console)
    {
        var folder = new Argument<string?>("folder") { Description = "Training images: one sub-folder per class (or --manifest).", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string>("--out", "-o") { Description = "Where to save the model (an ML.NET model zip).", Required = true };
        var test = new Option<string?>("--test") { Description = "Test images: one sub-folder per class, or a CSV manifest as --manifest (same columns). Without it, --test-fraction of the training images is held out." };
        var testFraction = new Option<double?>("--test-fraction") { Description = "Estimate the accuracy on this fraction held out (then put back: the saved model is trained on every image); 0 for no estimate. Default without --test: 5-fold cross-validation (a 20 % hold-out above 20,000 images)." };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds of the estimate and of the automatic head choice.", DefaultValueFactory = _ => 5 };
        var augment = CliInputs.Completing(new Option<string?>("--augment") { Description = "Augmented views of the training images: auto (the mirror image, in training and as a test-time flip, each used only when cross-validation says it helps; the default with --head auto), none (the default with a pinned head), flip, or standard (flip + 2 crop/colour jitters). Each view is cached." }, CliInputs.AugmentPolicies);
        var cache = new Option<string?>("--cache") { Description = "Bottleneck cache folder. Default: .bottlenecks inside <folder> (or the --manifest's folder)." };
        var backbone = CliInputs.BackboneOption();
        var head = CliInputs.Completing(new Option<string>("--head") { Description = "Head: auto (chosen by cross-validated log-loss among maximum-entropy heads of several L2 weights and an MLP), lbfgs, sdca, lightgbm, softmax, mlp, prototype or knn.", DefaultValueFactory = _ => "auto" }, CliInputs.Heads);
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (softmax, mlp; default 30), iterations (lbfgs, sdca) or boosting rounds (lightgbm); default: the trainer's." };
        var seed = new Option<int>("--seed") { Description = "Seed for the test split and the head.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON (no progress output)." };
        var report = new Option<string?>("--report") { Description = "Write an HTML evaluation report (metrics, confusion matrix, worst mistakes, dataset audit, run manifest) to this file. Needs a test set." };
        var int8 = new Option<bool>("--int8") { Description = "Quantize the backbone to int8 (static QDQ, calibrated on a sample of the training images) before featurizing. Its features are cached apart from fp32 ones." };
        var resize = CliInputs.Completing(new Option<string>("--resize") { Description = "How images are resized to the backbone's input: auto (a centre crop for opaque photos; a stretch for images with transparency, small or elongated images), stretch, crop or pad.", DefaultValueFactory = _ => "auto" }, CliInputs.ResizeModes);
        var decode = CliInputs.DecodeOption();
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Leave out images that cannot be decoded (truncated, not an image...) and list them, instead of stopping at the first one." };
        var unknownRate = new Option<double>("--unknown-rate") { Description = "The false-rejection rate of the stored 'unknown' threshold (predict --unknown): the fraction of the known classes' held-out images it rejects.", DefaultValueFactory = _ => Models.UnknownRejection.DefaultFalseRejectionRate };
        var fineTune = new FineTuneArguments();
        var manifest = new ManifestArguments("Training images");
        var neural = new NeuralHeadArguments();
        var device = DeviceArgument.Create();
        var command = new Command("train", "Train a classifier on a folder of images (one sub-folder per class) and save it as a model zip.")
        {
            folder, output, test, testFraction, folds, augment, resize, decode, cache, backbone, head, epochs, seed, json, report, int8, skipBad, unknownRate,
        };
        foreach (var option in fineTune.All.Concat(manifest.All).Concat(neural.All).Append(device))
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(
            console,
            new TrainSettings(
                parse.GetValue(folder)!, parse.GetValue(output)!, parse.GetValue(test), parse.GetValue(testFraction), parse.GetValue(cache),
                parse.GetValue(backbone)!, parse.GetValue(head)!, parse.GetValue(epochs), parse.GetValue(seed), parse.GetValue(json), parse.GetValue(report), parse.GetValue(int8), parse.GetValue(skipBad), parse.GetValue(folds), parse.GetValue(augment), parse.GetValue(resize)!, parse.GetValue(decode), fineTune.Read(parse), parse.GetValue(unknownRate),
                manifest.Read(parse), neural.Read(parse), parse.GetValue(device)!),
            ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, TrainSettings s, CancellationToken ct)
    {
        // Cheap checks first, in the order of the command line, so a typo costs no featurization.
        if (s.TestFraction is < 0 or >= 1)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--test-fraction must be in [0, 1), was {s.TestFraction}."));
        }

        if (s.Folds < 2)
        {
            throw new CliException(ExitCode.Usage, $"--folds must be at least 2, was {s.Folds}.");
        }

        AugmentationPolicy? augmentation = s.Augment is null ? null : CliInputs.ParseAugment(s.Augment);
        ResizeMode? resizeMode = CliInputs.ParseResize(s.Resize);

        bool? scaledDecode = CliInputs.ParseDecode(s.Decode);
        if (augmentation == AugmentationPolicy.Auto && !s.Head.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException(ExitCode.Usage, $"--augment auto decides by the automatic head's cross-validation; with --head {s.Head} pass --augment flip or standard instead.");
        }

        if (s.Epochs is < 1)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--epochs must be at least 1, was {s.Epochs}."));
        }

        if (s.UnknownRate is not (>= 0 and < 1))
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--unknown-rate must be in [0, 1), was {s.UnknownRate}."));
        }

        var configureNeural = NeuralHeadArguments.Validate(s.Neural, s.Head);
        var provider = DeviceArgument.Resolve(console, s.Device);
        bool testIsCsv = s.Test is not null && ManifestArguments.IsCsv(s.Test);
        var images = ManifestArguments.LoadFolderOrManifest(s.Folder, s.Manifest, s.SkipBadImages, "Image", columnsUsedElsewhere: testIsCsv);
        var testImages = s.Test is null ? null
            : testIsCsv ? ManifestArguments.Load(s.Test, s.Manifest.PathColumn, s.Manifest.LabelColumn, s.SkipBadImages)
            : CliInputs.LoadImages(s.Test, "Test folder (--test)");
        var headTrainer = CliInputs.CreateHead(s.Head, s.Epochs, s.Seed, configureNeural);
        var backbone = CliInputs.ResolveBackbone(s.Backbone);
        string outPath = PrepareOutput(s.Out);
        string? reportPath = null;
        if (s.Report is not null)
        {
            if (testImages is null && s.TestFraction == 0)
            {
                throw new CliException(ExitCode.Usage, "--report needs an estimate: pass --test <folder>, a --test-fraction above 0, or leave --test-fraction out for cross-validation.");
            }

            reportPath = PrepareOutput(s.Report, "--report");
        }

        var builder = TransferPipeline.For(images).WithBackbone(backbone).TrainHead(headTrainer).UnknownFalseRejectionRate(s.UnknownRate);
        builder = builder.WithLoggerFactory(console.LoggerFactory); // --verbosity, --log-file
        builder = testImages is not null ? builder.TestOn(testImages)
            : s.TestFraction is { } fraction ? builder.TestFraction(fraction, s.Seed)
            : images.Count > TransferPipelineBuilder.CrossValidationImageLimit ? builder.TestFraction(0.2, s.Seed)
            : builder.CrossValidate(s.Folds, s.Seed);
        if (augmentation is { } chosen)
        {
            builder = builder.Augment(chosen);
        }
        if (resizeMode is { } mode)
        {
            builder = builder.WithPreprocessing(ImagePreprocessing.Default with { ResizeMode = mode });
        }

        builder = scaledDecode is { } scaled ? builder.DecodeScaled(scaled) : builder;

        // Without --cache the builder's default: .bottlenecks in the set's root (the folder, or the manifest's folder).
        string? cacheDirectory = s.Cache is not null ? Path.GetFullPath(s.Cache) : null;
        if (cacheDirectory is not null)
        {
            builder = builder.CacheBottlenecks(cacheDirectory);
        }

        if (reportPath is not null)
        {
            builder = builder.WriteReport(reportPath);
        }

        if (s.Int8)
        {
            builder = builder.QuantizeBackbone();
        }

        if (s.SkipBadImages || provider.IsCuda)
        {
            builder = builder.WithFeaturizer(new FeaturizerOptions { BadImagePolicy = s.SkipBadImages ? BadImagePolicy.Skip : BadImagePolicy.Fail, ExecutionProvider = provider });
        }

        builder = s.FineTune.Apply(builder);

        TransferPipeline pipeline;
        try
        {
            pipeline = builder.Build();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCode.NoImages, ex.Message, ex);
        }

        TransferResult result;
        try
        {
            result = await RunWithProgressAsync(console, pipeline, s.Json, ct).ConfigureAwait(false);
        }
        catch (InvalidImageException ex)
        {
            throw new CliException(ExitCode.BadImage, $"{ex.Message} Remove or replace the file, or pass --skip-bad-images to leave such files out.", ex);
        }
        catch (ArgumentException ex)
        {
            // RunAsync's documented ArgumentException: too few classes or images left (after skipping) to train on.
            throw new CliException(ExitCode.NoImages, ex.Message, ex);
        }

        using var disposeResult = result;
        try
        {
            result.Model.Save(outPath, cancellationToken: ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCode.OutputFailed, $"Cannot write the model to \"{s.Out}\" (--out): {ex.Message}", ex);
        }

        int testCount = result.TestFeatures?.Images.Count ?? 0;
        // The training set's own skipped rows are in result.Skipped; a test manifest's are listed here.
        var skippedRows = testIsCsv ? testImages!.Skipped.Select(k => new SkippedJson(k.Source, k.Reason)).ToList() : [];
        string snippet = LoadSnippet.For(outPath, result.Model.Manifest.Head.Contains("lightgbm", StringComparison.OrdinalIgnoreCase));
        if (s.Json)
        {
            Json.Write(console, new TrainJson(
                outPath, backbone.Name, headTrainer.Name, result.Model.Classes, result.TrainFeatures.Images.Count, testCount,
                result.TrainFeatures.CacheHits + (result.TestFeatures?.CacheHits ?? 0),
                result.TrainFeatures.Computed + (result.TestFeatures?.Computed ?? 0),
                result.FeaturizeTime.TotalSeconds, result.TrainTime.TotalSeconds,
                [.. skippedRows, .. result.Skipped.Select(k => new SkippedJson(k.Source, k.Reason))],
                result.Evaluation is null ? null : EvaluationJson.From(result.Evaluation),
                result.Report is null ? null : reportPath,
                result.Estimate is null ? null : EstimateJson.From(result.Estimate),
                result.TrainedOnImages,
                result.HeadSelection?.Candidates.Select(c => new HeadCandidateJson(c.Name, c.LogLoss, c.MicroAccuracy, c.MacroAccuracy, c.Seconds, c.Chosen, c.SkippedReason)).ToList(),
                result.AugmentedViews,
                result.TestTimeAugmentation.ToString(),
                pipeline.FeaturizerOptions.Preprocessing.ResizeMode.ToString(),
                pipeline.PreprocessingReason,
                FineTuneArguments.Json(result),
                UnknownJson.From(result.Model.Manifest.Unknown))
            {
                Device = provider.ToString(),
                Manifest = s.Manifest.Path is null ? null : Path.GetFullPath(s.Manifest.Path),
                LoadSnippet = snippet,
                HeadDescription = result.Model.Manifest.HeadDescription,
            });
            return (int)ExitCode.Success;
        }

        int hits = result.TrainFeatures.CacheHits + (result.TestFeatures?.CacheHits ?? 0);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trained {headTrainer.Name} on {backbone.Name} features of {result.TrainFeatures.Images.Count} images, {result.Model.Classes.Count} classes ({string.Join(", ", result.Model.Classes)})."));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Featurized in {result.FeaturizeTime.TotalSeconds:F1} s ({hits} from the bottleneck cache), head trained in {result.TrainTime.TotalSeconds:F1} s."));
        foreach (var skipped in skippedRows.Concat(result.Skipped.Select(k => new SkippedJson(k.Source, k.Reason))))
        {
            console.WriteLine($"Skipped {skipped.Source}: {skipped.Reason}");
        }

        if (result.HeadSelection is { } selection)
        {
            console.WriteLine($"Head chosen by {selection.Folds}-fold cross-validated log-loss:");
            console.WriteLine(selection.ToTable());
        }

        if (pipeline.PreprocessingReason is { } why)
        {
            console.WriteLine($"Resize: {why} (--resize to choose).");
        }

        if (result.AugmentedViews > 0)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trained on {result.AugmentedViews} augmented view(s) of each training image too."));
        }

        if (result.TestTimeAugmentation != Backbones.TestTimeAugmentation.None)
        {
            console.WriteLine($"The model averages each image with its mirror image (test-time {result.TestTimeAugmentation}): it lowered the cross-validated log-loss.");
        }

        FineTuneArguments.Write(console, result);
        if (result.Evaluation is { } evaluation)
        {
            console.WriteLine(result.Estimate?.Method == AccuracyEstimate.Test
                ? string.Create(CultureInfo.InvariantCulture, $"Test ({testCount} images, {s.Test}): {result.Estimate}")
                : $"Estimate: {result.Estimate}");
            EvaluateCommand.WriteEvaluation(console, evaluation);
        }
        else
        {
            console.WriteLine("No test images: not evaluated.");
        }

        if (result.Report is not null)
        {
            if (result.Report.Dataset?.Leaks is { Count: > 0 } leaks)
            {
                console.WriteLine($"Warning: {leaks.Sum(l => l.Test.Count)} test image(s) are also in the training set, so the test figures are optimistic (see the report's Train/test leakage).");
            }

            console.WriteLine($"Report: {reportPath}");
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The saved head was trained on {result.TrainedOnImages} images."));
        console.WriteLine(UnknownJson.Describe(result.Model.Manifest.Unknown));
        console.WriteLine($"Saved {outPath}");
        console.WriteLine("Use it in a .NET app:");
        console.WriteLine(snippet);
        return (int)ExitCode.Success;
    }

    internal static string PrepareOutput(string path, string option = "--out")
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            string example = option == "--out" ? "model.zip" : "report.html";
            throw new CliException(ExitCode.OutputFailed, $"{option} \"{path}\" is a folder; pass a file name such as {Path.Combine(path, example)}.");
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCode.OutputFailed, $"Cannot create the folder of {option} \"{path}\": {ex.Message}", ex);
        }

        return full;
    }

    private sealed record TrainSettings(
        string? Folder, string Out, string? Test, double? TestFraction, string? Cache, string Backbone, string Head, int? Epochs, int Seed, bool Json, string? Report, bool Int8, bool SkipBadImages, int Folds, string? Augment, string Resize, string? Decode, FineTuneArguments.Settings FineTune, double UnknownRate,
        ManifestArguments.Settings Manifest, NeuralHeadArguments.Settings Neural, string Device);
}
