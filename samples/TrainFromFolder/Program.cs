// TrainFromFolder: train an image classifier on any folder with one sub-folder of images per class, with progress bars;
// write the model zip and its metrics (JSON file + console table).
//   dotnet run --project samples/TrainFromFolder -- <folder> [--out model.zip] [--metrics model.metrics.json]
//       [--test <folder> | --test-fraction F] [--head auto|lbfgs|sdca|lightgbm|softmax|mlp] [--cache <dir> | --no-cache] [--seed 42]
// Without --test or --test-fraction the accuracy is estimated by 5-fold cross-validation and the model is trained on every image.
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Pipelines;

const string Usage = "Usage: TrainFromFolder <folder> [--out model.zip] [--metrics file.json] [--test <folder> | --test-fraction F] [--head auto|lbfgs|sdca|lightgbm|softmax|mlp] [--cache <dir> | --no-cache] [--seed 42]";

// 1. Arguments: a folder of class sub-folders, and options with defaults.
var options = TrainArguments.Parse(args, out string? usageError);
if (options is null)
{
    if (usageError is null)
    {
        Console.WriteLine(Usage);
        return 0;
    }

    Console.Error.WriteLine($"error: {usageError} {Usage}");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
try
{
    // 2. Images: every sub-folder is a class; hidden and non-image files are skipped and reported.
    var images = ImageSet.FromDirectory(options.Folder);
    var test = options.TestFolder is null ? null : ImageSet.FromDirectory(options.TestFolder);
    Console.WriteLine($"{images.Count} images in {images.Classes.Count} classes from {images.Root}: {string.Join(", ", images.Classes)}");

    // 3. Pipeline: the default backbone's features (cached by image content) → the head (chosen by cross-validation unless
    //    --head pins one) → the accuracy on --test, on a --test-fraction hold-out, or by 5-fold cross-validation.
    var builder = TransferPipeline.For(images);
    builder = options.CreateHead() is { } head ? builder.TrainHead(head) : builder;
    builder = test is not null ? builder.TestOn(test) : options.TestFraction is { } fraction ? builder.TestFraction(fraction, options.Seed) : builder.CrossValidate(seed: options.Seed);
    builder = options.NoCache ? builder.WithoutBottleneckCache() : options.Cache is null ? builder : builder.CacheBottlenecks(options.Cache);
    var pipeline = builder.Build();

    // 4. Run with progress bars: one per featurized set, one for the head.
    bool evaluates = test is not null || options.TestFraction is not 0;
    TransferResult result = null!;
    await AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            var bars = new ProgressBars(context, evaluates);
            result = await pipeline.RunAsync(bars, cancel.Token);
            bars.Finish();
        });
    using var _ = result;
    int hits = result.TrainFeatures.CacheHits + (result.TestFeatures?.CacheHits ?? 0);
    Console.WriteLine($"Featurized in {result.FeaturizeTime.TotalSeconds:F1} s ({hits} from the bottleneck cache), head trained in {result.TrainTime.TotalSeconds:F1} s.");
    foreach (var skipped in result.Skipped)
    {
        Console.WriteLine($"skipped {skipped.Source}: {skipped.Reason}");
    }

    // 5. Save the model (an ML.NET zip, written atomically).
    string modelPath = Path.GetFullPath(options.Output);
    Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
    result.Model.Save(modelPath);

    // 6. Metrics: a console table and a JSON file beside the model.
    var evaluation = result.Evaluation;
    if (evaluation is not null)
    {
        var table = new Table().Title("Test metrics").AddColumns("class", "precision", "recall", "F1", "support");
        foreach (var c in evaluation.PerClass)
        {
            table.AddRow(Markup.Escape(c.Name), $"{c.Precision:F3}", $"{c.Recall:F3}", $"{c.F1:F3}", $"{c.Support}");
        }

        table.Caption($"micro-accuracy {evaluation.MicroAccuracy:F3} · macro-accuracy {evaluation.MacroAccuracy:F3} · log-loss {evaluation.LogLoss:F3} · top-{evaluation.TopK} accuracy {evaluation.TopKAccuracy:F3} on {evaluation.Count} images");
        AnsiConsole.Write(table);
    }
    else
    {
        Console.WriteLine("No test images (--test-fraction 0): the model was not evaluated.");
    }

    string metricsPath = Path.GetFullPath(options.Metrics ?? Path.ChangeExtension(modelPath, ".metrics.json"));
    Directory.CreateDirectory(Path.GetDirectoryName(metricsPath)!);
    var metrics = new
    {
        model = modelPath,
        folder = images.Root,
        head = pipeline.Head.Describe(),
        classes = images.Classes,
        trainImages = result.TrainFeatures.Features.Count,
        testImages = evaluation?.Count ?? 0,
        featurizeSeconds = result.FeaturizeTime.TotalSeconds,
        trainSeconds = result.TrainTime.TotalSeconds,
        cacheHits = hits,
        microAccuracy = evaluation?.MicroAccuracy,
        macroAccuracy = evaluation?.MacroAccuracy,
        logLoss = evaluation?.LogLoss,
        logLossReduction = evaluation?.LogLossReduction,
        topK = evaluation?.TopK,
        topKAccuracy = evaluation?.TopKAccuracy,
        perClass = evaluation?.PerClass.Select(c => new { name = c.Name, precision = c.Precision, recall = c.Recall, f1 = c.F1, support = c.Support }),
        confusionMatrix = evaluation is null ? null : Enumerable.Range(0, evaluation.Classes.Count)
            .Select(i => Enumerable.Range(0, evaluation.Classes.Count).Select(j => evaluation.ConfusionMatrix[i, j]).ToArray()),
        skipped = result.Skipped.Select(s => new { source = s.Source, reason = s.Reason }),
    };
    await File.WriteAllTextAsync(metricsPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Model: {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB)");
    Console.WriteLine($"Metrics: {metricsPath}");
    return 0;
}
catch (Exception e) when (e is DatasetException or InvalidImageException or ArgumentException or IOException or UnauthorizedAccessException)
{
    // 7. Bad input: one line that names the folder or file, what is wrong and the fix; no stack trace.
    Console.Error.WriteLine($"error: {string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("error: cancelled; nothing was saved.");
    return 130;
}

/// <summary>The command line, parsed and checked.</summary>
internal sealed class TrainArguments
{
    public string Folder { get; private set; } = string.Empty;

    public string Output { get; private set; } = "model.zip";

    public string? Metrics { get; private set; }

    public string? TestFolder { get; private set; }

    public double? TestFraction { get; private set; }

    public string Head { get; private set; } = "auto";

    public string? Cache { get; private set; }

    public bool NoCache { get; private set; }

    public int Seed { get; private set; } = 42;

    /// <summary>Parses the arguments; null with a null error for --help, null with the error otherwise.</summary>
    public static TrainArguments? Parse(string[] args, out string? error)
    {
        var result = new TrainArguments();
        error = null;
        string? folder = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                return null;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (folder is not null)
                {
                    error = $"Only one image folder may be given; got \"{folder}\" and \"{arg}\".";
                    return null;
                }

                folder = arg;
                continue;
            }

            if (arg == "--no-cache")
            {
                result.NoCache = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"Option {arg} needs a value.";
                return null;
            }

            string value = args[++i];
            switch (arg)
            {
                case "--out": result.Output = value; break;
                case "--metrics": result.Metrics = value; break;
                case "--test": result.TestFolder = value; break;
                case "--cache": result.Cache = value; break;
                case "--head" when value is "auto" or "lbfgs" or "sdca" or "lightgbm" or "softmax" or "mlp": result.Head = value; break;
                case "--head":
                    error = $"Option --head must be auto, lbfgs, sdca, lightgbm, softmax or mlp, was \"{value}\".";
                    return null;
                case "--test-fraction" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f is >= 0 and < 1:
                    result.TestFraction = f;
                    break;
                case "--test-fraction":
                    error = $"Option --test-fraction must be a number in [0, 1), was \"{value}\".";
                    return null;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed):
                    result.Seed = seed;
                    break;
                case "--seed":
                    error = $"Option --seed must be an integer, was \"{value}\".";
                    return null;
                default:
                    error = $"Unknown option {arg}.";
                    return null;
            }
        }

        if (folder is null)
        {
            error = "Pass the image folder (one sub-folder of images per class).";
            return null;
        }

        result.Folder = folder;
        return result;
    }

    /// <summary>The head trainer named by --head, or null for auto (the pipeline's default: chosen by cross-validation).</summary>
    public HeadTrainer? CreateHead() => Head switch
    {
        "auto" => null,
        "sdca" => new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.SdcaMaximumEntropy }, Seed),
        "lightgbm" => new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.LightGbm }, Seed),
        "softmax" => new NeuralHeadTrainer(new SoftmaxHead()),
        "mlp" => new NeuralHeadTrainer(new MlpHead()),
        _ => new MaximumEntropyHeadTrainer(),
    };
}

/// <summary>Turns pipeline progress into Spectre.Console progress bars; reports arrive on worker threads, in order.</summary>
internal sealed class ProgressBars(ProgressContext context, bool evaluates) : IProgress<PipelineProgress>
{
    private readonly ProgressTask _train = context.AddTask("Featurizing train images", autoStart: false);
    private readonly ProgressTask? _test = evaluates ? context.AddTask("Featurizing test images", autoStart: false) : null;
    private readonly ProgressTask _head = context.AddTask("Training head", autoStart: false, maxValue: 1);

    public void Report(PipelineProgress value)
    {
        if (value.Featurization is { } f)
        {
            var task = value.Dataset == "test" && _test is not null ? _test : _train;
            task.MaxValue = Math.Max(1, f.Total);
            task.Value = f.Completed;
            if (!task.IsStarted)
            {
                task.StartTask();
            }

            task.Description = $"Featurizing {value.Dataset} images ({f.ImagesPerSecond:F0}/s, {f.CacheHits} cached)";
        }
        else if (value.Stage == PipelineStage.TrainingHead)
        {
            Complete(_train);
            if (_test is not null)
            {
                Complete(_test);
            }

            _head.IsIndeterminate = true;
            _head.StartTask();
        }
        else if (value.Stage is PipelineStage.Evaluating or PipelineStage.Done)
        {
            Complete(_head);
        }
    }

    public void Finish()
    {
        Complete(_train);
        if (_test is not null)
        {
            Complete(_test);
        }

        Complete(_head);
    }

    private static void Complete(ProgressTask task)
    {
        if (!task.IsStarted)
        {
            task.StartTask();
        }

        task.IsIndeterminate = false;
        task.Value = task.MaxValue;
        task.StopTask();
    }
}
