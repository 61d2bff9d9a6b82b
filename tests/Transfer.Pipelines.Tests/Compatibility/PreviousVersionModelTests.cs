using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Models;

namespace Transfer.Pipelines.Tests.Compatibility;

/// <summary>
/// Zips saved by the build on ML.NET 5.0.1 / ONNX Runtime 1.31.1 / SkiaSharp 2.88 load and predict as they did. A stretched
/// model scores exactly as before; centre-cropped and padded ones draw their pixels with SkiaSharp 3's cubic sampling now (as
/// ML.NET 6's own <c>ResizeImages</c> does, which scores the same zip in plain ML.NET), so their scores move a little.
/// </summary>
public sealed class PreviousVersionModelTests
{
    // The largest move seen on these images (random tiny-backbone features, a 5-epoch MLP): 0.057; no label changes.
    private const double CroppedTolerance = 0.1;

    private static readonly string Folder = RepositoryFiles.Combine("tests", "Transfer.Pipelines.Tests", "Compatibility", "SavedBy-ML.NET-5");

    public static TheoryData<string> Heads => new() { "auto", "maxent", "mlp", "lightgbm", "prototype", "knn", "maxent-stretch" };

    [Theory]
    [MemberData(nameof(Heads))]
    public void OldZip_Loads_AndPredictsWhatTheOldBuildPredicted(string head)
    {
        var expected = Expected(head);
        using var model = TransferModel.Load(Path.Combine(Folder, head + ".zip"));
        Assert.Equal(expected.Classes, model.Classes);
        Assert.Equal(expected.Preprocessing.Replace(";draw=2", string.Empty, StringComparison.Ordinal), model.Preprocessing.CanonicalKey().Replace(";draw=2", string.Empty, StringComparison.Ordinal));
        double tolerance = model.Preprocessing.ResizeMode == Images.ResizeMode.Stretch ? 1e-4 : CroppedTolerance;
        using var predictor = model.CreatePredictor();
        foreach (var row in expected.Predictions)
        {
            var prediction = predictor.Predict(Path.Combine(Folder, "images", row.Image));
            Assert.Equal(row.Label, prediction.Label);
            Assert.Equal(row.Scores.Length, prediction.Scores.Count);
            for (int k = 0; k < row.Scores.Length; k++)
            {
                Assert.True(Math.Abs(row.Scores[k] - prediction.Scores[k]) < tolerance, $"{head}, {row.Image}, class {k}: the old build scored {row.Scores[k]}, this one {prediction.Scores[k]}.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void OldZip_LoadsInPlainMlNet_WithTheSameLabels(string head)
    {
        var expected = Expected(head);
        var ml = new MLContext();
        // As any plain ML.NET app loading a LightGbm model must (else "Error during class instantiation", depending on what loaded first).
        ml.ComponentCatalog.RegisterAssembly(typeof(Microsoft.ML.Trainers.LightGbm.LightGbmMulticlassTrainer).Assembly);
        var engine = ml.Model.CreatePredictionEngine<PathInput, Output>(ml.Model.Load(Path.Combine(Folder, head + ".zip"), out _));
        foreach (var row in expected.Predictions)
        {
            var output = engine.Predict(new PathInput { ImagePath = Path.Combine(Folder, "images", row.Image) });
            Assert.Equal(row.Label, output.PredictedLabel);
        }
    }

    private static ExpectedModel Expected(string head)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var entry = json.RootElement.GetProperty(head);
        return new ExpectedModel(
            entry.GetProperty("preprocessing").GetString()!,
            [.. entry.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!)],
            [.. entry.GetProperty("predictions").EnumerateArray().Select(p => new ExpectedPrediction(
                p.GetProperty("image").GetString()!,
                p.GetProperty("label").GetString()!,
                [.. p.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle())]))]);
    }

    private sealed record ExpectedModel(string Preprocessing, string[] Classes, ExpectedPrediction[] Predictions);

    private sealed record ExpectedPrediction(string Image, string Label, float[] Scores);

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }
}
