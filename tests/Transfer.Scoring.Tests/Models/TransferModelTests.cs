using System.IO.Compression;
using Transfer.Models;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Scoring.Tests.Models;

public sealed class TransferModelTests(TinyModel tiny) : IClassFixture<TinyModel>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("transfer-scoring-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveThenLoad_TinyModel_PredictsAsBeforeSaving()
    {
        string path = Path.Combine(_dir, "tiny.zip");
        var images = tiny.Images.Entries.Take(6).ToList();
        using var before = tiny.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        var expected = before.PredictBatch(images);

        tiny.Model.Save(path);
        using var loaded = TransferModel.Load(path);
        using var after = loaded.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        var actual = after.PredictBatch(images);

        Assert.Equal(tiny.Model.Classes, loaded.Classes);
        Assert.Equal(tiny.Model.Manifest.BackboneFingerprint, loaded.Manifest.BackboneFingerprint);
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(expected[i].Label, actual[i].Label);
            for (int c = 0; c < expected[i].Scores.Count; c++)
            {
                Assert.Equal(expected[i].Scores[c], actual[i].Scores[c], 1e-4f);
            }
        }

        Assert.Equal(["tiny.zip"], Directory.GetFiles(_dir).Select(Path.GetFileName)); // no temporary file left beside it
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_ScaledDecodeRecorded_PredictorDecodesAsTrainingDid(bool scaledDecode)
    {
        string path = Path.Combine(_dir, "decode.zip");
        using (var model = TransferModel.FromParts(tiny.Model.Manifest with { ScaledDecode = scaledDecode }, tiny.Head, () => TinyBackbone.Default.BuildFeaturizerModel()))
        {
            model.Save(path);
        }

        using var loaded = TransferModel.Load(path);

        Assert.Equal(scaledDecode, loaded.Manifest.ScaledDecode);
        Assert.Equal(scaledDecode, loaded.Preprocessing.ScaledDecode);
        Assert.Equal(scaledDecode, loaded.Preprocessing.CanonicalKey().EndsWith(";decode=scaled", StringComparison.Ordinal));
        Assert.True(tiny.Model.Manifest.ScaledDecode); // trained with the default preprocessing
    }

    [Fact]
    public void Manifest_SavedBeforeScaledDecodeExisted_ReadsFullSizeDecoding()
    {
        var old = System.Text.Json.JsonSerializer.Deserialize<ModelManifest>("""{"Classes":["a"],"Backbone":"b","BackboneFingerprint":"f","Width":32,"Height":32,"FeatureLength":64,"Preprocessing":"resize=Stretch;bg=FFFFFF;exif=1","ResizeMode":"Stretch","AlphaBackground":16777215,"ApplyExifOrientation":true,"Head":"h","HeadDescription":"d"}""")!;

        Assert.False(old.ScaledDecode);
    }

    [Fact]
    public void FromParts_HeadOfAnotherFeatureLength_ThrowsNamingBoth()
    {
        var manifest = tiny.Model.Manifest with { FeatureLength = tiny.Model.Manifest.FeatureLength + 1 };

        var e = Assert.Throws<ArgumentException>(() => TransferModel.FromParts(manifest, tiny.Head, () => []));

        Assert.StartsWith($"The head expects {tiny.Head.FeatureLength} features but the manifest records {manifest.FeatureLength}.", e.Message, StringComparison.Ordinal);
        Assert.Equal("head", e.ParamName);
    }

    [Fact]
    public void FromParts_OtherClasses_ThrowsListingBoth()
    {
        var manifest = tiny.Model.Manifest with { Classes = ["a", "b"] };

        var e = Assert.Throws<ArgumentException>(() => TransferModel.FromParts(manifest, tiny.Head, () => []));

        Assert.Contains("differ from the manifest's (a, b)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PlainZipWithoutManifest_SaysItIsNotATransferModel()
    {
        string path = Path.Combine(_dir, "plain.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = new StreamWriter(zip.CreateEntry("Model/Model.key").Open());
            entry.Write("x");
        }

        var e = Assert.Throws<InvalidDataException>(() => TransferModel.Load(path));

        Assert.Equal($"Model \"{path}\" has no Transfer/manifest.json: it is not a Transfer model (a plain ML.NET model zip?). Save it with TransferModel.Save.", e.Message);
    }

    [Fact]
    public void PredictorOptions_Validate_ListsEveryProblemInOrder()
    {
        var options = new PredictorOptions { BatchSize = 0, IntraOpThreads = -1, MaxPixels = 0 };

        var e = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Equal(["BatchSize must be in [1, 4096], was 0.", "IntraOpThreads must be 0 (one per core) or more, was -1.", "MaxPixels must be positive, was 0."], e.Problems);
    }

    [Fact]
    public async Task PredictorPool_TwoSlots_PredictsAsOnePredictorAndCreatesAtMostTwo()
    {
        var image = tiny.Images.Entries[0];
        var bytes = image.ReadBytes();
        using var predictor = tiny.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        var expected = predictor.Predict(bytes);
        using var pool = new PredictorPool(tiny.Model, 2, new PredictorOptions { OptimizedGraphDirectory = null, IntraOpThreads = 1 });

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => pool.PredictAsync(bytes))));

        Assert.All(results, r => Assert.Equal(expected.Label, r.Label));
        Assert.InRange(pool.Created, 1, 2);
    }
}
