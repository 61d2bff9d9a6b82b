// QuickStart: train an image classifier on the embedded Fashion-MNIST subset with the real ResNet18,
// evaluate it, write an HTML report, save it, reload it with plain ML.NET and predict.
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Backbones;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;
using Transfer.Reporting;

string data = Path.Combine(AppContext.BaseDirectory, "data");
string modelPath = Path.Combine(args.Length > 0 ? args[0] : Path.GetTempPath(), "quickstart-fashion.zip");

// 1. Images: one folder per class (500 train, 200 test PNGs, 28×28 grayscale).
var train = ImageSet.FromDirectory(Path.Combine(data, "train"));
var test = ImageSet.FromDirectory(Path.Combine(data, "test"));
Console.WriteLine($"Train: {train.Count} images, test: {test.Count}, classes: {string.Join(", ", train.Classes)}");

// 2. Pipeline: ResNet18 features (batched ONNX Runtime; the mirrored images too, kept only when cross-validation says they
//    help) → the head chosen by cross-validated log-loss → evaluation on the test images.
var progress = new Progress<PipelineProgress>(p =>
{
    if (p.Featurization is { } f && (f.Completed == f.Total || f.Completed % 100 < 8))
    {
        Console.WriteLine($"  featurizing {p.Dataset}: {f.Completed}/{f.Total} ({f.ImagesPerSecond:F0} images/s)");
    }
});
string reportPath = Path.ChangeExtension(modelPath, ".report.html");
using var result = await TransferPipeline.For(train)
    .WithBackbone(Backbones.ResNet18)
    .Evaluate(test)
    .WriteReport(reportPath)
    .Build()
    .RunAsync(progress);
// Features are cached by image content beside the images (data/train/.bottlenecks): a second run computes none.
int hits = result.TrainFeatures.CacheHits + result.TestFeatures!.CacheHits;
Console.WriteLine($"Featurized in {result.FeaturizeTime.TotalSeconds:F1} s ({hits} of {train.Count + test.Count} from the bottleneck cache), head trained in {result.TrainTime.TotalSeconds:F1} s.");

// 3. Report: one self-contained HTML page (metrics, per-class table, confusion heat map, training curves,
//    most confused pairs, the worst mistakes as thumbnails, dataset audit, run manifest) and a Markdown summary.
Console.WriteLine();
Console.WriteLine(result.Report!.ToMarkdown());
Console.WriteLine($"Report: {reportPath}");

// 4. Save as an ML.NET model zip (written atomically), with the run manifest as JSON beside it.
result.Model.Save(modelPath);
Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB) and {result.Report.Manifest!.SaveBesideModel(modelPath)}.");

// 5. Reload with plain ML.NET: no Transfer code is needed to score.
var ml = new MLContext();
var loaded = ml.Model.Load(modelPath, out _);
var engine = ml.Model.CreatePredictionEngine<ImageInput, ImageOutput>(loaded);
foreach (var entry in test.Entries.Where((_, i) => i % 40 == 0))
{
    var output = engine.Predict(new ImageInput { ImagePath = entry.Path! });
    Console.WriteLine($"  {Path.GetFileName(entry.Path),-18} true: {entry.Label,-12} ML.NET predicts: {output.PredictedLabel,-12} ({output.Score.Max():P1})");
}

// 6. Or Transfer's thread-safe, batched predictor.
using var model = TransferModel.Load(modelPath);
using var predictor = model.CreatePredictor();
var prediction = predictor.Predict(test.Entries[0].Path!);
Console.WriteLine($"Predictor: {Path.GetFileName(test.Entries[0].Path)} → {string.Join(", ", prediction.Top.Select(t => $"{t.Label} {t.Score:P1}"))}");

/// <summary>The saved model's input.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = string.Empty;
}

/// <summary>The saved model's outputs.</summary>
internal sealed class ImageOutput
{
    public string PredictedLabel { get; set; } = string.Empty;

    public float[] Score { get; set; } = [];
}
