using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;
using Transfer.Validation;

namespace Transfer.IntegrationTests;

/// <summary>Bad images and datasets on the real featurizer: clear errors or reported skips, never a crash.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-bad-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public async Task FeaturizeAsync_SkipPolicy_ReportsEachBadFileAndKeepsTheGoodOnes()
    {
        var good = Directory.GetFiles(Path.Combine(TestData.QuickStartTest, "Bag")).Take(3).ToList();
        string truncated = Write("truncated.png", File.ReadAllBytes(good[0])[..200]);
        string empty = Write("empty.png", []);
        string text = Write("notes.jpg", "<html>not an image</html>"u8.ToArray());
        var entries = good.Select(g => ImageEntry.FromFile(g, "Bag"))
            .Concat([ImageEntry.FromFile(truncated, "Bag"), ImageEntry.FromFile(empty, "Bag"), ImageEntry.FromFile(text, "Bag")])
            .ToList();
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { BadImagePolicy = BadImagePolicy.Skip });
        var result = await featurizer.FeaturizeAsync(ImageSet.FromEntries(entries));
        Assert.Equal(3, result.Features.Count);
        Assert.Equal(3, result.Skipped.Count);
        Assert.Contains(result.Skipped, s => s.Source == truncated && s.Reason.Contains("truncated", StringComparison.Ordinal));
        Assert.Contains(result.Skipped, s => s.Source == empty && s.Reason.Contains("empty", StringComparison.Ordinal));
        Assert.Contains(result.Skipped, s => s.Source == text && s.Reason.Contains("not a recognised image format", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FeaturizeAsync_FailPolicy_ThrowsNamingTheFile()
    {
        string bad = Write("zero.png", []);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var e = await Assert.ThrowsAsync<InvalidImageException>(() => featurizer.FeaturizeAsync(ImageSet.FromEntries([ImageEntry.FromFile(bad, "x")])));
        Assert.Equal($"Image \"{bad}\" could not be used: the file is empty (0 bytes).", e.Message);
    }

    [Fact]
    public async Task FeaturizeAsync_CancelledMidway_StopsWithinASecond()
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTrain);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var progress = new InlineProgress<FeaturizationProgress>(p =>
        {
            if (p.Completed >= 16)
            {
                started.TrySetResult();
            }
        });
        var run = featurizer.FeaturizeAsync(images, null, progress, cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Stopping took {clock.Elapsed.TotalMilliseconds:F0} ms.");
    }

    [Fact]
    public async Task RunAsync_SingleClass_FailsWithClearMessage()
    {
        var dir = Path.Combine(_root, "one");
        Directory.CreateDirectory(Path.Combine(dir, "Bag"));
        foreach (var f in Directory.GetFiles(Path.Combine(TestData.QuickStartTest, "Bag")).Take(4))
        {
            File.Copy(f, Path.Combine(dir, "Bag", Path.GetFileName(f)));
        }

        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(ImageSet.FromDirectory(dir)).Build());
        Assert.Contains("a classifier needs at least two", e.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public void Load_TruncatedModelZip_ThrowsInvalidDataNamingTheFile()
    {
        string path = Write("model.zip", new byte[1000]);
        var e = Assert.Throws<InvalidDataException>(() => TransferModel.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
