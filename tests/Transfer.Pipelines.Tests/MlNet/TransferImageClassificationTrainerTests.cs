using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Heads.Neural;
using Transfer.Pipelines.MlNet;
using Transfer.Validation;
using static Microsoft.ML.Transforms.ValueToKeyMappingEstimator;

namespace Transfer.Pipelines.Tests.MlNet;

/// <summary>The drop-in on the real ResNet18 and real QuickStart PNGs, loaded as bytes the way ML.NET's image classification sample loads them.</summary>
public sealed class TransferImageClassificationTrainerTests
{
    private static (MLContext Ml, IDataView Train, IDataView Test, List<(string Path, string Label)> TestFiles) Data(int trainPerClass = 8, int testPerClass = 4)
    {
        var ml = new MLContext(seed: 1);
        var trainFiles = TestData.Files(TestData.QuickStartTrain, trainPerClass);
        var testFiles = TestData.Files(TestData.QuickStartTest, testPerClass);
        var prep = ml.Transforms.Conversion.MapValueToKey("LabelAsKey", "Label", keyOrdinality: KeyOrdinality.ByValue)
            .Append(ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath"));
        var trainRaw = ml.Data.LoadFromEnumerable(trainFiles.Select(f => new ImageData { ImagePath = f.Path, Label = f.Label }));
        var fitted = prep.Fit(trainRaw);
        var test = fitted.Transform(ml.Data.LoadFromEnumerable(testFiles.Select(f => new ImageData { ImagePath = f.Path, Label = f.Label })));
        return (ml, fitted.Transform(trainRaw), test, testFiles);
    }

    private static List<(string Label, float[] Score)> Predictions(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => (p.PredictedLabel, p.Score)).ToList();

    [Fact]
    public void Fit_SaveThenLoad_GivesTheSamePredictions()
    {
        var (ml, train, test, _) = Data();
        var epochs = new List<EpochMetrics>();
        var pipeline = ml.MulticlassClassification.Trainers.TransferImageClassification(new TransferImageClassificationTrainer.Options
        {
            FeatureColumnName = "Image",
            LabelColumnName = "LabelAsKey",
            ValidationSet = test,
            Epoch = 40,
            MetricsCallback = epochs.Add,
        }).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"));

        var model = pipeline.Fit(train);
        var before = Predictions(ml, model, test);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), labelColumnName: "LabelAsKey", predictedLabelColumnName: "PredictedLabel");

        using var temp = TestData.Temp();
        string path = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, train.Schema, path);
        var ml2 = new MLContext();
        var loaded = ml2.Model.Load(path, out var schema);
        var after = Predictions(ml2, loaded, test);

        Assert.NotEmpty(epochs);
        Assert.True(metrics.MicroAccuracy >= 0.75, $"Test accuracy {metrics.MicroAccuracy} on 3 distinct classes is too low.");
        Assert.Equal(12, before.Count);
        Assert.Equal(before.Select(p => p.Label), after.Select(p => p.Label));
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(3, before[i].Score.Length);
            Assert.Equal(1f, before[i].Score.Sum(), 3);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(before[i].Score[k], after[i].Score[k], 5);
            }
        }

        Assert.Contains(before, p => p.Label == "Bag");
        Assert.True(schema.GetColumnOrNull("Image").HasValue);

        // Bytes that are not an image: an error that says so, not a silent skip.
        var engine = ml2.Model.CreatePredictionEngine<BytesInput, Prediction>(loaded);
        var error = Record.Exception(() => engine.Predict(new BytesInput { Image = "not an image"u8.ToArray() }));
        var inner = error;
        while (inner is not null && inner is not Transfer.Images.InvalidImageException)
        {
            inner = inner.InnerException;
        }

        Assert.True(inner is not null, $"Expected an InvalidImageException, got {error}");
        Assert.Contains("12 bytes that are not a decodable image (starts with 6E6F7420616E2069)", inner!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedModel_LoadedInAFreshProcessWithoutRegistration_PredictsTheSame()
    {
        var (ml, train, test, testFiles) = Data(trainPerClass: 6, testPerClass: 2);
        var model = ml.MulticlassClassification.Trainers.TransferImageClassification(featureColumnName: "Image", labelColumnName: "LabelAsKey", validationSet: test)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"))
            .Fit(train);
        var expected = Predictions(ml, model, test);

        using var temp = TestData.Temp();
        string path = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, train.Schema, path);
        var lines = RunWorker([path, .. testFiles.Select(f => f.Path)]);

        Assert.Equal(testFiles.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            string[] parts = lines[i].Split('\t');
            Assert.Equal(Path.GetFileName(testFiles[i].Path), parts[0]);
            Assert.Equal(expected[i].Label, parts[1]);
            float[] scores = parts[2].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(expected[i].Score.Length, scores.Length);
            for (int k = 0; k < scores.Length; k++)
            {
                Assert.Equal(expected[i].Score[k], scores[k], 5);
            }
        }
    }

    [Fact]
    public void Fit_WorkspacePath_SecondFitComputesNoFeatures()
    {
        var (ml, train, _, _) = Data(trainPerClass: 5);
        using var temp = TestData.Temp();
        var options = new TransferImageClassificationTrainer.Options { FeatureColumnName = "Image", LabelColumnName = "LabelAsKey", WorkspacePath = temp.Path, Epoch = 5 };
        using var first = ml.MulticlassClassification.Trainers.TransferImageClassification(options).Fit(train);
        using var second = ml.MulticlassClassification.Trainers.TransferImageClassification(options).Fit(train);

        Assert.Equal(15, first.FeaturesComputed);
        Assert.Equal(0, first.CacheHits);
        Assert.Equal(0, second.FeaturesComputed);
        Assert.Equal(15, second.CacheHits);
        Assert.Equal(["Bag", "Sneaker", "Trouser"], second.Classes);
        Assert.NotNull(second.History);
        Assert.True(second.CacheStatistics!.Hits >= 15);
    }

    [Fact]
    public void Options_SeveralProblems_ListsEveryOneInOneException()
    {
        var ml = new MLContext();
        var e = Assert.Throws<OptionsValidationException>(() => ml.MulticlassClassification.Trainers.TransferImageClassification(new TransferImageClassificationTrainer.Options
        {
            FeatureColumnName = "",
            Epoch = 0,
            BatchSize = -1,
            LearningRate = float.NaN,
            ValidationSetFraction = 1.5f,
        }));
        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Invalid TransferImageClassificationTrainer.Options / Validation Errors:",
                "- FeatureColumnName must name a column, was blank.",
                "- Epoch must be at least 1, was 0.",
                "- BatchSize must be at least 1, was -1.",
                "- LearningRate must be positive and finite, was NaN; try 0.001 with Adam or 0.01 with Sgd.",
                "- ValidationSetFraction must be in [0, 1) or null, was 1.5.",
            ]),
            e.Message);
    }

    [Fact]
    public void Options_BadEarlyStopping_IsNamedAsTheUserWroteIt()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new TransferImageClassificationTrainer(new TransferImageClassificationTrainer.Options
        {
            EarlyStoppingCriteria = new EarlyStopping { Patience = 0 },
        }));
        Assert.Equal($"Invalid TransferImageClassificationTrainer.Options / Validation Errors:{Environment.NewLine}- EarlyStoppingCriteria.Patience must be at least 1, was 0.", e.Message);
    }

    [Fact]
    public void GetOutputSchema_AddsScoreAndKeyPredictedLabel_AndRejectsATextImageColumn()
    {
        var (ml, train, _, _) = Data(trainPerClass: 1, testPerClass: 1);
        var trainer = ml.MulticlassClassification.Trainers.TransferImageClassification("LabelAsKey", "Image");
        var shape = trainer.GetOutputSchema(SchemaShapeOf(ml, train));
        var score = shape.Single(c => c.Name == "Score");
        var predicted = shape.Single(c => c.Name == "PredictedLabel");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, score.Kind);
        Assert.Equal(NumberDataViewType.Single, score.ItemType);
        Assert.True(predicted.IsKey);
        Assert.Contains(shape, c => c.Name == "ImagePath");

        var wrong = ml.MulticlassClassification.Trainers.TransferImageClassification("LabelAsKey", "ImagePath");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => wrong.GetOutputSchema(SchemaShapeOf(ml, train)));
        Assert.StartsWith("Column \"ImagePath\" (FeatureColumnName) must be VarVector<Byte> (encoded image bytes, as LoadRawImageBytes makes), was Scalar of String.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_TextLabel_SaysToMapItToAKey()
    {
        var (ml, train, _, _) = Data(trainPerClass: 1, testPerClass: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.TransferImageClassification("Label", "Image").Fit(train));
        Assert.Equal("Column \"Label\" (LabelColumnName) of the training data must be a key of UInt32 (MapValueToKey), was String.", e.Message);
    }

    [Fact]
    public void Fit_ValidationSetWithOtherKeys_IsRejected()
    {
        var (ml, train, _, _) = Data(trainPerClass: 2, testPerClass: 1);
        var other = ml.Transforms.Conversion.MapValueToKey("LabelAsKey", "Label").Append(ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath"));
        var raw = ml.Data.LoadFromEnumerable(TestData.Files(TestData.QuickStartTest, 1).Take(2).Select(f => new ImageData { ImagePath = f.Path, Label = f.Label }));
        var validation = other.Fit(raw).Transform(raw);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.TransferImageClassification("LabelAsKey", "Image", validationSet: validation).Fit(train));
        Assert.StartsWith("ValidationSet's LabelAsKey key values [Bag, Sneaker] differ from the training data's [Bag, Sneaker, Trouser].", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The schema shape ML.NET's estimators see: taken from a fitted no-op estimator's output.</summary>
    private static SchemaShape SchemaShapeOf(MLContext ml, IDataView data)
    {
        // SchemaShape.Create is internal; an estimator with no columns passes the input shape through.
        return ml.Transforms.CopyColumns("ImagePathCopy", "ImagePath").GetOutputSchema(
            (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic)!.Invoke(null, [data.Schema])!);
    }

    private static List<string> RunWorker(IEnumerable<string> arguments)
    {
        string? worker = typeof(TransferImageClassificationTrainerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ModelLoadWorkerPath")?.Value;
        Assert.True(File.Exists(worker), $"Transfer.ModelLoadWorker was not built at {worker}; build tests/Transfer.Pipelines.Tests, which references it.");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(worker!);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The model-load worker did not finish within 3 minutes.");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"The model-load worker exited with {process.ExitCode}: {output.Result} {error.Result}");
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    private sealed class ImageData
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }

    private sealed class BytesInput
    {
        public byte[] Image { get; set; } = [];
    }

    private sealed class Prediction
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }
}
