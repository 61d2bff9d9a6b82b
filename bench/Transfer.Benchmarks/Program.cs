// Transfer.Benchmarks: featurization throughput against ML.NET and raw ONNX Runtime, warm vs cold cache, head
// training, prediction latency and peak memory, in one run. Prints a table and writes bench/results/latest.json.
//   dotnet run -c Release --project bench/Transfer.Benchmarks -- [--quick] [--out <file>]
// Test accuracy on a train/test split, ML.NET's path vs Transfer before/now (AccuracyBench):
//   dotnet run -c Release --project bench/Transfer.Benchmarks -- accuracy --train <folder> --test <folder> [--name <name>] [--out <file>] [--skip-mlnet]
// Fine-tuning throughput alone (FineTuneBench): ... -- fine-tune [--images 160] [--epochs 2] [--out <file>]
// JPEG photos and raw ORT alone (JpegBench): ... -- jpeg [--quick]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Transfer.Benchmarks;
using Transfer.Featurization;
using Transfer.Models;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length == 2 && args[0] == MemoryBench.Command)
{
    return await MemoryBench.ChildAsync(args[1]);
}

if (args.Length == 5 && args[0] == StartupBench.Command)
{
    return StartupBench.Child(args[1], args[2], args[3], bool.Parse(args[4]));
}

if (args.Length >= 1 && args[0] == StartupBench.FirstPredictCommand)
{
    return await StartupBench.FirstPredictAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3, FindRepoRoot());
}

if (args.Length >= 1 && args[0] == GpuBench.Command)
{
    return await GpuBench.RunAsync(args, FindRepoRoot());
}

if (args.Length >= 1 && args[0] == SimilarBench.Command)
{
    Console.WriteLine(SimilarBench.Measure().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    return 0;
}

if (args.Length >= 1 && args[0] == HeadBench.Command)
{
    return await HeadBench.RunEveryHeadAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60_000);
}

if (args.Length >= 1 && args[0] == JpegBench.Command)
{
    return await JpegBench.RunAsync(args.Contains("--quick"), FindRepoRoot());
}

if (args.Length >= 1 && args[0] == CacheBench.Command)
{
    return await CacheBench.RunAsync(args.Contains("--quick"), FindRepoRoot());
}

if (args.Length >= 1 && args[0] == AccuracyBench.Command)
{
    return await AccuracyBench.RunAsync(args[1..], FindRepoRoot());
}

if (args.Length >= 1 && args[0] == Int8Bench.Command)
{
    return await Int8Bench.RunAsync(args[1..], FindRepoRoot());
}

if (args.Length >= 1 && args[0] == FineTuneBench.Command)
{
    return await FineTuneBench.RunAsync(args[1..], FindRepoRoot());
}

bool quick = false;
string? outPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--out" when i + 1 < args.Length:
            outPath = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument \"{args[i]}\". Usage: Transfer.Benchmarks [--quick] [--out <file>]");
            return 2;
    }
}

string repoRoot = FindRepoRoot();
outPath ??= Path.Combine(repoRoot, "bench", "results", "latest.json");
var settings = quick ? BenchSettings.QuickRun : BenchSettings.Full;
var report = new BenchReport(quick);
var total = Stopwatch.StartNew();
int failures = 0;
void Log(string message) => Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {message}");

Log($"Transfer benchmarks ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {report.Root["machine"]!["processor_name"]}");
var notes = new List<string>();
var data = BenchData.Create(settings.ImagesNeeded, settings.PhotoImages, repoRoot, notes);
notes.ForEach(report.Note);
report.Details["images"] = new JsonObject
{
    ["source"] = data.Source,
    ["distinct_pngs"] = data.DistinctPngs,
    ["photos"] = $"{data.Photos.Count} JPEGs, 640×480, quality 90, upscaled from the PNGs with seeded colour noise",
};
report.Note("The machine may be shared: compare figures from one run (ratios), not across runs; runs_cpu_seconds shows how much CPU each repetition got.");
Log($"Images: {data.Source}; {data.Photos.Count} JPEG photos in {data.Root}");

FeatureMatrix? realFeatures = null;
try
{
    // 1. Featurization throughput: Transfer vs ML.NET vs raw ONNX Runtime, on the same PNGs (and JPEG photos).
    var pngs = data.PngSet(settings.FeaturizeImages);
    Log($"Featurization: {pngs.Count} PNGs, 1 warm-up + {settings.Repetitions} interleaved rounds (Transfer, ML.NET, raw ORT b1/b8/b16)");
    var contenders = new List<FeaturizationBench.Contender>();
    Dictionary<string, Throughput> png;
    try
    {
        contenders.Add(FeaturizationBench.Transfer(pngs));
        contenders.Add(FeaturizationBench.MlNet(pngs.Entries));
        contenders.AddRange(FeaturizationBench.RawOrt(pngs.Entries));
        png = await FeaturizationBench.InterleavedAsync(contenders, settings.Repetitions, Log);
        realFeatures = contenders[0].LastFeatures;
    }
    finally
    {
        contenders.ForEach(c => c.Dispose());
        contenders.Clear();
    }

    Log($"Featurization: {data.Photos.Count} JPEG photos 640×480, 1 warm-up + {settings.Repetitions} rounds (Transfer scaled/full decode, ML.NET, decode alone both ways, raw ORT b8)");
    var jpeg = await JpegBench.MeasureAsync(data.Photos, settings.Repetitions, withMlNet: true, Log);
    var transfer = png["transfer"];
    var mlnet = png["mlnet"];
    var raw = FeaturizationBench.RawOrtBatches.ToDictionary(b => b, b => png[$"raw_ort_b{b}"]);
    int best = raw.MaxBy(kv => kv.Value.MedianPerSecond).Key;
    double photosPerSecond = jpeg["transfer"]!["images_per_s"]!.GetValue<double>(), decodePerSecond = jpeg["decode"]!["images_per_s"]!.GetValue<double>();
    double t = transfer.MedianPerSecond, m = mlnet.MedianPerSecond, o = raw[best].MedianPerSecond;
    report.Set("featurize_images_per_s", t);
    report.Set("mlnet_images_per_s", m);
    report.Set("raw_ort_images_per_s", o);
    report.Set("jpeg_featurize_images_per_s", photosPerSecond);
    report.Set("jpeg_decode_images_per_s", decodePerSecond);
    report.Set("jpeg_featurize_vs_raw_ort", photosPerSecond / o);
    jpeg["transfer_vs_raw_ort"] = Stats.Round(photosPerSecond / o, 3);
    report.Details["featurization"] = new JsonObject
    {
        ["png_28x28"] = new JsonObject
        {
            ["transfer"] = With(transfer.ToJson(), "options", "FeaturizerOptions defaults (batch 8, intra-op threads = cores, decode threads = cores, CenterCrop), no cache"),
            ["mlnet"] = With(mlnet.ToJson(), "pipeline", "LoadImages → ResizeImages(224, Fill) → ExtractPixels → DnnFeaturizeImage(ResNet18), Features read with a row cursor"),
            ["raw_ort"] = FeaturizationBench.RawOrtJson(raw, best),
            ["transfer_vs_mlnet"] = Stats.Round(t / m, 3),
            ["transfer_vs_raw_ort"] = Stats.Round(t / o, 3),
            ["mlnet_vs_raw_ort"] = Stats.Round(m / o, 3),
        },
        ["jpeg_640x480"] = jpeg,
    };
    report.Row("featurize", $"Transfer, {pngs.Count} PNG 28×28", $"{t:F1} images/s");
    report.Row("featurize", "ML.NET DnnFeaturizeImage, same PNGs", $"{m:F1} images/s");
    report.Row("featurize", $"raw ORT (2 threads), best batch {best}", $"{o:F1} images/s ({string.Join(", ", raw.Select(kv => $"b{kv.Key} {kv.Value.MedianPerSecond:F1}"))})");
    report.Row("featurize", "Transfer / ML.NET; Transfer / raw ORT", $"{t / m:F2}×; {t / o:F2}×");
    report.Row("featurize", $"Transfer, {data.Photos.Count} JPEG 640×480", $"{photosPerSecond:F1} images/s ({photosPerSecond / o:F2}× raw ORT; full-size decode {jpeg["transfer_full_decode"]!["images_per_s"]} images/s)");
    report.Row("featurize", "JPEG decode alone (scaled; full size)", $"{decodePerSecond:F1}; {jpeg["decode_full"]!["images_per_s"]} images/s");
    report.Row("featurize", "ML.NET, same JPEGs", $"{jpeg["mlnet"]!["images_per_s"]} images/s ({jpeg["transfer_vs_mlnet"]}× Transfer/ML.NET)");
    if (!quick)
    {
        var phones = JpegBench.WritePhones(data.Root, data.Photos, 48, 3000, 2000);
        Log($"Featurization: {phones.Count} phone-size JPEGs 3000×2000, 1 warm-up + {settings.Repetitions} rounds");
        var phone = await JpegBench.MeasureAsync(phones, settings.Repetitions, withMlNet: false, Log);
        report.Details["featurization"]!["jpeg_3000x2000"] = phone;
        report.Set("phone_jpeg_featurize_images_per_s", phone["transfer"]!["images_per_s"]!.GetValue<double>());
        report.Row("featurize", $"Transfer, {phones.Count} JPEG 3000×2000 (scaled; full size)", $"{phone["transfer"]!["images_per_s"]}; {phone["transfer_full_decode"]!["images_per_s"]} images/s");
    }
}
catch (Exception e) when (Fail("featurization", e))
{
}

string modelPath = Path.Combine(data.Root, "model.zip");
var train = data.PngSet(settings.CacheTrainImages);
var test = data.PngSet(settings.CacheTestImages, skip: settings.CacheTrainImages);
try
{
    // 2. End-to-end training on an empty bottleneck cache, then on the filled one.
    Log($"Training end to end: {train.Count} train + {test.Count} test PNGs, cold then warm cache");
    var cacheResult = await CacheBench.MeasureAsync(train, test, Path.Combine(data.Root, "cache"), modelPath);
    var (cold, warm) = (cacheResult.Cold, cacheResult.Warm);
    double speedup = cacheResult.Speedup;
    report.Set("warm_vs_cold_speedup", speedup);
    var training = CacheBench.ToJson(cacheResult); // cold, warm (the median runs) and every run's seconds
    training["pipeline"] = "TransferPipeline.For(train).CacheBottlenecks(fresh temp folder).TestOn(test).Build().RunAsync(): featurize, default head (MaximumEntropyHeadTrainer, L-BFGS), evaluate";
    training["train_images"] = train.Count;
    training["test_images"] = test.Count;
    training["warm_vs_cold_speedup"] = Stats.Round(speedup, 3);
    training["featurize_warm_vs_cold_speedup"] = Stats.Round(cold.FeaturizeSeconds / warm.FeaturizeSeconds, 3);
    report.Details["training"] = training;
    report.Row("training", $"cold cache, {train.Count}+{test.Count} images (median of {cacheResult.ColdSeconds.Count})", $"{cold.Seconds:F2} s (featurize {cold.FeaturizeSeconds:F2} s, head {cold.TrainSeconds:F2} s)");
    report.Row("training", $"warm cache, same images (median of {cacheResult.WarmSeconds.Count})", $"{warm.Seconds:F2} s (featurize {warm.FeaturizeSeconds:F2} s, head {warm.TrainSeconds:F2} s)");
    report.Row("training", "warm vs cold speedup", $"{speedup:F2}× end to end, {cold.FeaturizeSeconds / warm.FeaturizeSeconds:F1}× featurization");
}
catch (Exception e) when (Fail("training", e))
{
}

try
{
    // 3. Head training on N × 512 features (synthetic copies of real ones).
    if (realFeatures is null)
    {
        throw new InvalidOperationException("No real features (the featurization section failed).");
    }

    Log($"Head training: L-BFGS on {settings.HeadRows} × 512 (copies of {realFeatures.Count} real feature vectors with jitter)");
    var (seconds, accuracy) = HeadBench.Measure(realFeatures, BenchData.ClassNames, settings.HeadRows, settings.HeadRepetitions);
    report.Details["head_training"] = HeadBench.ToJson(seconds, settings.HeadRows, realFeatures.Count, accuracy);
    report.Row("head", $"L-BFGS, {settings.HeadRows} × 512 (synthetic: jittered copies of {realFeatures.Count} real rows)", $"{Stats.Median(seconds):F2} s");
    var (mlnetSeconds, mlnetAccuracy) = HeadBench.Measure(realFeatures, BenchData.ClassNames, settings.HeadRows, settings.HeadRepetitions, new Transfer.Heads.MlNetHeadTrainer());
    report.Details["head_training_mlnet"] = HeadBench.ToJson(mlnetSeconds, settings.HeadRows, realFeatures.Count, mlnetAccuracy, "MlNetHeadTrainer (ML.NET LbfgsMaximumEntropy, defaults; the previous default head)");
    report.Row("head", $"ML.NET LbfgsMaximumEntropy, same rows", $"{Stats.Median(mlnetSeconds):F2} s ({Stats.Median(mlnetSeconds) / Stats.Median(seconds):F1}× the default head's time)");
    Log($"Head training: every head on {settings.HeadRows} × 512, one process");
    report.Details["head_training_all"] = HeadBench.MeasureEveryHead(realFeatures, BenchData.ClassNames, settings.HeadRows, (name, s) => report.Row("head", $"{name}, {settings.HeadRows} × 512", $"{s:F2} s"));
}
catch (Exception e) when (Fail("head training", e))
{
}

try
{
    // Similar images: one exact cosine query over 1,000,000 vectors.
    Log("Similar images: 1,000,000 × 512 index, 7 queries after a warm-up");
    var similar = SimilarBench.Measure();
    report.Set("similar_query_ms_1m", (double)similar["query_ms_median"]!);
    report.Details["similar"] = similar;
    report.Row("similar", "exact cosine top 10 of 1,000,000 × 512 (VectorIndex.Search)", $"{(double)similar["query_ms_median"]!:F1} ms per query");
}
catch (Exception e) when (Fail("similar images", e))
{
}

try
{
    // 4. Prediction latency and batch throughput on the saved model.
    if (!File.Exists(modelPath))
    {
        throw new InvalidOperationException("No saved model (the training section failed).");
    }

    var images = test.Entries;
    Log($"Prediction: {settings.LatencySamples} single predictions each (after 5 warm-up), batch of {settings.BatchPredictImages}");
    var latencies = PredictionBench.InterleavedLatencies(modelPath, images, settings.LatencySamples);
    var (ours, theirs, rawOne, headOnly) = (latencies["transfer"], latencies["mlnet"], latencies["raw_ort"], latencies["head"]);
    var batch = PredictionBench.TransferBatch(modelPath, data.PngSet(settings.BatchPredictImages).Entries, settings.Repetitions);
    report.Set("predict_p50_ms", Stats.Percentile(ours, 50));
    report.Set("predict_p99_ms", Stats.Percentile(ours, 99));
    report.Set("mlnet_predict_p50_ms", Stats.Percentile(theirs, 50));
    report.Set("raw_ort_batch1_ms", Stats.Percentile(rawOne, 50));
    report.Details["prediction"] = new JsonObject
    {
        ["model"] = "the zip saved by the warm training run (TransferModel.Save, ScoringInput.ImagePath)",
        ["transfer_predictor"] = With(PredictionBench.LatencyJson(ours), "call", "TransferModel.Load(zip).CreatePredictor().Predict(path): read, decode, ONNX, head"),
        ["mlnet_prediction_engine"] = With(PredictionBench.LatencyJson(theirs), "call", "mlContext.Model.Load(zip) → CreatePredictionEngine<ImagePath, PredictedLabel+Score>.Predict"),
        ["raw_ort_batch1"] = With(PredictionBench.LatencyJson(rawOne), "call", "InferenceSession.Run on one pre-decoded image, 2 intra-op threads (no decode, no head)"),
        ["transfer_head_only"] = With(PredictionBench.LatencyJson(headOnly), "call", "TrainedHead.PredictProbabilities on one feature row (the head's share of a prediction)"),
        ["order"] = "interleaved: each sample times Transfer, ML.NET, raw ORT and the head in turn on the same image",
        ["transfer_predict_batch"] = With(batch.ToJson(), "call", "Predictor.PredictBatch(paths), default batch 8"),
    };
    report.Row("predict", "Transfer Predictor p50 / p99", $"{Stats.Percentile(ours, 50):F2} / {Stats.Percentile(ours, 99):F2} ms");
    report.Row("predict", "ML.NET PredictionEngine p50 / p99", $"{Stats.Percentile(theirs, 50):F2} / {Stats.Percentile(theirs, 99):F2} ms");
    report.Row("predict", "raw ORT batch 1 p50 (pre-decoded)", $"{Stats.Percentile(rawOne, 50):F2} ms");
    report.Row("predict", "head only (TrainedHead.PredictProbabilities) p50", $"{Stats.Percentile(headOnly, 50):F2} ms");
    report.Row("predict", $"Predictor.PredictBatch, {settings.BatchPredictImages} images", $"{batch.MedianPerSecond:F1} images/s");
}
catch (Exception e) when (Fail("prediction", e))
{
}

try
{
    // 4b. First prediction after load, in fresh processes: with the graph optimized now, from the saved optimized graph, and without the warm-up.
    if (!File.Exists(modelPath))
    {
        throw new InvalidOperationException("No saved model (the training section failed).");
    }

    int rounds = quick ? 2 : 3;
    Log($"Startup: TransferModel.Load → CreatePredictor → first Predict, {rounds} rounds of 3 child processes");
    var startup = StartupBench.Measure(modelPath, test.Entries[0].Path!, Path.Combine(data.Root, "startup"), rounds);
    var json = new JsonObject { ["method"] = "one child process per run (Transfer.Benchmarks startup ...): TransferModel.Load(zip), CreatePredictor(options), Predict(path) twice; medians" };
    foreach (var (name, runs) in startup)
    {
        json[name] = StartupBench.ToJson(runs);
    }

    double first = StartupBench.Median(startup["saved_graph"], "first_predict_ms");
    report.Set("first_predict_ms", first);
    report.Details["startup"] = json;
    double sessionFresh = StartupBench.Median(startup["graph_optimized_now"], "session_ms"), sessionSaved = StartupBench.Median(startup["saved_graph"], "session_ms");
    report.Row("startup", "ONNX Runtime session: graph optimized now / saved graph", $"{sessionFresh:F0} / {sessionSaved:F0} ms ({sessionFresh / sessionSaved:F2}×)");
    report.Row("startup", "TransferModel.Load; CreatePredictor (session + warm-up)", $"{StartupBench.Median(startup["saved_graph"], "load_ms"):F0} ms; {StartupBench.Median(startup["saved_graph"], "create_predictor_ms"):F0} ms");
    report.Row("startup", "first Predict after load: warm-up / no warm-up", $"{first:F0} / {StartupBench.Median(startup["saved_graph_no_warmup"], "first_predict_ms"):F0} ms (second {StartupBench.Median(startup["saved_graph"], "second_predict_ms"):F0} ms)");
    report.Row("startup", "Load → first prediction, end to end", $"{StartupBench.Median(startup["saved_graph"], "load_to_first_prediction_ms"):F0} ms");
}
catch (Exception e) when (Fail("startup", e))
{
}

try
{
    // 4c. The int8 backbone against fp32 (Int8Bench).
    await Int8Bench.MeasureAsync(report, data, settings, Log);
}
catch (Exception e) when (Fail("int8", e))
{
}

try
{
    // 4d. Fine-tuning throughput of the tuned layers (FineTuneBench).
    await FineTuneBench.MeasureAsync(report, data.PngSet(quick ? 64 : 160), epochs: 2, Log);
}
catch (Exception e) when (Fail("fine-tune", e))
{
}

try
{
    // 5. Peak working set while featurizing, one child process per count.
    var runs = new JsonArray();
    foreach (int count in settings.MemoryCounts)
    {
        Log($"Memory: featurizing {count} images in a child process");
        var result = MemoryBench.RunChild(data.WriteList(count), TimeSpan.FromMinutes(quick ? 5 : 30));
        runs.Add(result);
        if (count is 5000 or 20000)
        {
            report.Set($"peak_ws_mb_{count}", (double)result["peak_ws_mb"]!);
        }

        report.Row("memory", $"peak working set, {count} images", MemoryBench.Describe(result));
    }

    report.Details["memory"] = new JsonObject
    {
        ["method"] = "child process per count (Transfer.Benchmarks memory <list>): Featurizer defaults, no cache; max of Process.PeakWorkingSet64 and Environment.WorkingSet sampled every 20 ms",
        ["runs"] = runs,
    };
    if (quick)
    {
        report.Note("Quick run: peak_ws_mb_5000 and peak_ws_mb_20000 are not measured (null); details.memory holds a small child-process check.");
    }
}
catch (Exception e) when (Fail("memory", e))
{
}

report.Root["total_seconds"] = Stats.Round(total.Elapsed.TotalSeconds, 1);
report.Root["failed_sections"] = failures;
report.PrintTable();
report.Write(outPath);
Console.WriteLine();
Log($"Wrote {Path.GetFullPath(outPath)}");
data.Delete();
return failures == 0 ? 0 : 1;

bool Fail(string section, Exception e)
{
    failures++;
    report.Note($"Section \"{section}\" failed: {e.GetType().Name}: {e.Message}");
    Console.Error.WriteLine(e);
    return true;
}

static JsonObject With(JsonObject json, string key, string value)
{
    json[key] = value;
    return json;
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Transfer.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
