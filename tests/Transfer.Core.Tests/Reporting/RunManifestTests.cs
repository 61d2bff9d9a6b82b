using Transfer.Core.Tests.Caching;
using Transfer.Images;
using Transfer.Reporting;

namespace Transfer.Core.Tests.Reporting;

public sealed class RunManifestTests : IDisposable
{
    private readonly CacheTestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PathBesideModel_ModelZip_IsManifestJsonInSameFolder()
    {
        Assert.Equal(_dir.Combine("models", "fashion.manifest.json"), RunManifest.PathBesideModel(_dir.Combine("models", "fashion.zip")));
    }

    [Fact]
    public void SaveBesideModel_ThenLoad_RoundTripsEveryField()
    {
        var manifest = EvaluationReportTests.Manifest();

        string path = manifest.SaveBesideModel(_dir.Combine("m", "model.zip"));
        var loaded = RunManifest.Load(path);

        Assert.Equal(_dir.Combine("m", "model.manifest.json"), path);
        Assert.Equal(manifest.ToJson(), loaded.ToJson());
        Assert.Equal(42, loaded.Seed);
        Assert.Equal(3.25, loaded.TimingsSeconds["train"]);
        Assert.Equal(manifest.Packages["Microsoft.ML"], loaded.Packages["Microsoft.ML"]);
        Assert.Equal(["model.manifest.json"], Directory.GetFiles(_dir.Combine("m")).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_NotAManifest_ThrowsNamingFileAndFix()
    {
        string path = _dir.Combine("bad.manifest.json");
        File.WriteAllText(path, "{ not json");

        var ex = Assert.Throws<InvalidDataException>(() => RunManifest.Load(path));

        Assert.StartsWith($"Run manifest \"{path}\" is not valid:", ex.Message);
        Assert.EndsWith("Save it again with RunManifest.Save.", ex.Message);
    }

    [Fact]
    public void CollectPackageVersions_LoadedAssemblies_HaveReleaseVersions()
    {
        var versions = RunManifest.CollectPackageVersions();

        Assert.Equal("6.0.0", versions["Microsoft.ML"]);
        Assert.Equal("6.0.0", versions["Microsoft.ML.ImageAnalytics"]);
        Assert.StartsWith("1.32.0", versions["Microsoft.ML.OnnxRuntime"]);
        Assert.StartsWith("3.119.4", versions["SkiaSharp"]);
        Assert.Contains("Transfer.Core", versions.Keys);
        Assert.DoesNotContain(versions.Values, v => v.Contains('+', StringComparison.Ordinal));
    }

    [Fact]
    public void ComputeDatasetHash_RenamedFiles_SameHash_EditedLabelOrSet_OtherHash()
    {
        byte[] a = [1, 2, 3], b = [4, 5, 6];
        File.WriteAllBytes(_dir.Combine("a.png"), a);
        File.WriteAllBytes(_dir.Combine("b.png"), b);
        File.WriteAllBytes(_dir.Combine("renamed-a.png"), a);
        string hash = RunManifest.ComputeDatasetHash([ImageEntry.FromFile(_dir.Combine("a.png"), "x")], [ImageEntry.FromFile(_dir.Combine("b.png"), "y")]);

        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, RunManifest.ComputeDatasetHash([ImageEntry.FromBytes(a, "x", "in memory")], [ImageEntry.FromFile(_dir.Combine("b.png"), "y")]));
        Assert.Equal(hash, RunManifest.ComputeDatasetHash([ImageEntry.FromFile(_dir.Combine("renamed-a.png"), "x")], [ImageEntry.FromBytes(b, "y", "b")]));
        Assert.NotEqual(hash, RunManifest.ComputeDatasetHash([ImageEntry.FromBytes(a, "z", "a")], [ImageEntry.FromBytes(b, "y", "b")]));
        Assert.NotEqual(hash, RunManifest.ComputeDatasetHash([ImageEntry.FromBytes(a, "x", "a"), ImageEntry.FromBytes(b, "y", "b")]));
        Assert.NotEqual(hash, RunManifest.ComputeDatasetHash([ImageEntry.FromBytes(a, "x", "a")], [ImageEntry.FromBytes(new byte[] { 4, 5, 7 }, "y", "b")]));
    }
}
