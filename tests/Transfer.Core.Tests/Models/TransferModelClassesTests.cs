using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Core.Tests.Models;

/// <summary><c>TransferModel.AddClass</c>: a class learned from its images alone, on TinyBackbone features of synthetic shapes.</summary>
public sealed class TransferModelClassesTests
{
    private static readonly FeaturizerOptions NoSavedGraphs = new() { OptimizedGraphDirectory = null };

    private static readonly string[] Known = ["circle", "square", "triangle"];

    public static TheoryData<string> Heads => ["lbfgs", "prototype", "knn"];

    /// <summary>Circles, squares and triangles known, crosses added: train, held-out and new-class images.</summary>
    private static (ImageSet Old, ImageSet New, ImageSet Test) Shapes()
    {
        var all = SyntheticImages.InMemory(new SyntheticImageOptions
        {
            Classes = [.. SyntheticImageOptions.DefaultClasses, new("cross", SyntheticShape.Cross, 0x202020)],
            ImagesPerClass = 16,
        });
        var train = all.Entries.Where((_, i) => i % 2 == 0).ToList();
        var test = all.Entries.Where((_, i) => i % 2 == 1).ToList();
        return (ImageSet.FromEntries(train.Where(e => e.Label != "cross"), Known), ImageSet.FromEntries(train.Where(e => e.Label == "cross"), ["cross"]), ImageSet.FromEntries(test, [.. Known, "cross"]));
    }

    private static HeadTrainer Trainer(string name) => name switch
    {
        "prototype" => new PrototypeHeadTrainer(),
        "knn" => new NearestNeighborHeadTrainer(),
        _ => new MaximumEntropyHeadTrainer(),
    };

    /// <summary>A model trained on the old classes, its manifest recording the training mean as a pipeline run's does.</summary>
    private static async Task<TransferModel> TrainAsync(Featurizer featurizer, ImageSet images, HeadTrainer trainer)
    {
        var features = await featurizer.FeaturizeAsync(images);
        var head = trainer.Train(features.Features, null, features.Classes);
        using var plain = TransferModel.Create(featurizer, head, trainer.Describe());
        return plain.With(plain.Manifest with { FeatureMean = TransferModelClasses.FeatureMean(features.Features), ClassMeans = TransferModelClasses.ClassMeans(features.Features) }, head);
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task AddClassAsync_NewClassImages_LearnsItAndKeepsOldPredictionsUnchangedOrBetter(string name)
    {
        var (old, added, test) = Shapes();
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        using var model = await TrainAsync(featurizer, old, Trainer(name));

        var result = await model.AddClassAsync("cross", added.Entries, featurizer);
        using var bigger = result.Model;

        Assert.Equal([.. Known, "cross"], bigger.Classes);
        var record = Assert.Single(bigger.Manifest.AddedClasses);
        Assert.Equal(("cross", 8, name == "lbfgs" ? "imprint" : name), (record.Label, record.Images, record.Method));
        Assert.Equal(Known, model.Classes); // the original model is unchanged
        using var before = model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var after = bigger.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });

        // The old classes' own images keep their predictions, or gain the right one.
        var was = before.PredictBatch(old.Entries);
        var now = after.PredictBatch(old.Entries);
        for (int i = 0; i < old.Count; i++)
        {
            Assert.True(now[i].Label == was[i].Label || now[i].Label == old.Entries[i].Label, $"{old.Entries[i].Name}: {was[i].Label} before, {now[i].Label} after adding a class");
        }

        // Held-out images of the new class are recognised.
        var crosses = test.Entries.Where(e => e.Label == "cross").ToList();
        int newRight = after.PredictBatch(crosses).Count(p => p.Label == "cross");
        Assert.True(newRight >= 6, $"{newRight} of 8 new-class images predicted as the new class");
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task AddClass_ToASavedModel_SameProbabilitiesAsInMemoryAndLoadsInPlainMlNet(string name)
    {
        var (old, added, test) = Shapes();
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        using var temp = new TemporaryFolder();
        using var model = await TrainAsync(featurizer, old, Trainer(name));
        model.Save(Path.Combine(temp.Path, "old.zip"));
        var newFeatures = (await featurizer.FeaturizeAsync(added)).Features;

        using var loaded = TransferModel.Load(Path.Combine(temp.Path, "old.zip"));
        using var fromFile = loaded.AddClass("cross", newFeatures);
        using var inMemory = model.AddClass("cross", newFeatures);
        string path = Path.Combine(temp.Path, "new.zip");
        fromFile.Save(path);

        using var reloaded = TransferModel.Load(path);
        Assert.Equal("cross", Assert.Single(reloaded.Manifest.AddedClasses).Label);
        using var expected = inMemory.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var actual = reloaded.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        var ml = new MLContext(0);
        var engine = ml.Model.CreatePredictionEngine<PathInput, Output>(ml.Model.Load(path, out _));
        foreach (var entry in test.Entries.Take(6))
        {
            string file = Path.Combine(temp.Path, Path.GetFileName(entry.Name));
            File.WriteAllBytes(file, entry.ReadBytes().ToArray());
            var e = expected.Predict(file);
            var a = actual.Predict(file);
            var plain = engine.Predict(new PathInput { ImagePath = file });
            Assert.Equal(e.Label, a.Label);
            Assert.Equal(e.Label, plain.PredictedLabel);
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(e.Scores[k], a.Scores[k], 3);
                Assert.Equal(e.Scores[k], plain.Score[k], 3);
            }
        }
    }

    [Fact]
    public async Task AddClass_BadInputs_ClearErrors()
    {
        var (old, added, _) = Shapes();
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        using var model = await TrainAsync(featurizer, old, new MaximumEntropyHeadTrainer());
        var features = (await featurizer.FeaturizeAsync(added)).Features;

        var exists = Assert.Throws<ArgumentException>(() => model.AddClass("square", features));
        Assert.StartsWith("Class \"square\" is already one of the model's classes (circle, square, triangle).", exists.Message, StringComparison.Ordinal);
        var blank = Assert.Throws<ArgumentException>(() => model.AddClass(" ", features));
        Assert.StartsWith("The new class needs a name", blank.Message, StringComparison.Ordinal);
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => model.AddClassAsync("cross", [], featurizer));
        Assert.StartsWith("No images of class \"cross\" to add: the folder is empty.", empty.Message, StringComparison.Ordinal);

        ImageEntry[] broken = [ImageEntry.FromBytes(SyntheticImages.Broken(BrokenImageKind.NotAnImage), "cross", "bad.png")];
        await Assert.ThrowsAsync<InvalidImageException>(() => model.AddClassAsync("cross", broken, featurizer));
        using var skipping = model.CreateFeaturizer(NoSavedGraphs with { BadImagePolicy = BadImagePolicy.Skip }, TinyBackbone.Default);
        var unreadable = await Assert.ThrowsAsync<ArgumentException>(() => model.AddClassAsync("cross", broken, skipping));
        Assert.StartsWith("None of the 1 images of class \"cross\" could be read (bad.png:", unreadable.Message, StringComparison.Ordinal);

        using var withoutMean = model.With(model.Manifest with { FeatureMean = null }, model.Head);
        var old2 = Assert.Throws<InvalidOperationException>(() => withoutMean.AddClass("cross", features));
        Assert.Contains("does not record its training images' mean feature vector", old2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddClass_NeuralHead_NotSupportedNamingTheHeadsThatCan()
    {
        var (old, added, _) = Shapes();
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        using var model = await TrainAsync(featurizer, old, new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { Epochs = 2, AllowNoValidation = true, ValidationFraction = 0 })));
        var features = (await featurizer.FeaturizeAsync(added)).Features;

        var e = Assert.Throws<NotSupportedException>(() => model.AddClass("cross", features));

        Assert.StartsWith("A model whose head is \"softmax\" cannot learn a class without retraining", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CreateFeaturizer_TakesTheModelsDecoding_SoAddClassAcceptsIt(bool scaledDecode)
    {
        // A model trained with full-size decoding (every model saved before scaled decoding) gets a featurizer that
        // decodes as it did, not the default scaled decoding its own AddClass would refuse.
        var (old, added, _) = Shapes();
        var preprocessing = ImagePreprocessing.Default with { ScaledDecode = scaledDecode };
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs with { Preprocessing = preprocessing });
        using var model = await TrainAsync(featurizer, old, new MaximumEntropyHeadTrainer());
        using var own = model.CreateFeaturizer(NoSavedGraphs, TinyBackbone.Default);

        Assert.Equal(preprocessing.CanonicalKey(), own.Options.Preprocessing.CanonicalKey());
        var result = await model.AddClassAsync("cross", added.Entries, own);
        using var bigger = result.Model;
        Assert.Equal([.. Known, "cross"], bigger.Classes);
    }

    [Fact]
    public void CreateFeaturizer_AnotherBackbone_ThrowsNamingBoth()
    {
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs, deferSession: true);
        var head = new PrototypeHeadTrainer().Train(new FeatureMatrix(new float[2 * featurizer.FeatureLength], 2, featurizer.FeatureLength, [0, 1], 2), null, ["a", "b"]);
        using var model = TransferModel.Create(featurizer, head, "prototype");

        var e = Assert.Throws<ArgumentException>(() => model.CreateFeaturizer(backbone: TinyBackbone.Create(seed: 99)));

        Assert.Contains("is not the one the model was trained with", e.Message, StringComparison.Ordinal);
    }

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("transfer-addclass-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
