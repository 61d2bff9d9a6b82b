using Transfer.Images;
using Transfer.Models;

namespace Transfer.Samples.Tests;

/// <summary><see cref="PredictorPool"/> on the shared trained model (real ResNet18).</summary>
[Collection(SamplesGroup.Name)]
public sealed class PredictorPoolTests(SamplesFixture fixture)
{
    [Fact]
    public async Task PredictAsync_ManyConcurrentCallers_SameAnswersAndAtMostSizePredictors()
    {
        using var model = TransferModel.Load(fixture.ModelPath);
        using var pool = new PredictorPool(model, size: 2);
        var images = fixture.Images;

        var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var (_, path, expected) = images[i % images.Count];
            var actual = i % 2 == 0 ? await pool.PredictAsync(path) : await pool.PredictAsync(await File.ReadAllBytesAsync(path));
            return (expected, actual);
        })).ToArray();
        var results = await Task.WhenAll(tasks);

        foreach (var (expected, actual) in results)
        {
            Assert.Equal(expected.Label, actual.Label);
            Assert.Equal(expected.Top.Select(t => t.Label), actual.Top.Select(t => t.Label));
            Assert.Equal(expected.Score, actual.Score, 1e-4f);
        }

        Assert.InRange(pool.Created, 1, 2);
    }

    [Fact]
    public async Task PredictAsync_NotAnImage_ThrowsInvalidImageAndPoolStillWorks()
    {
        using var model = TransferModel.Load(fixture.ModelPath);
        using var pool = new PredictorPool(model, size: 1);

        await Assert.ThrowsAsync<InvalidImageException>(() => pool.PredictAsync("not an image"u8.ToArray()));
        var prediction = await pool.PredictAsync(fixture.Images[0].Path);

        Assert.Equal(fixture.Images[0].Expected.Label, prediction.Label);
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public async Task PredictAsync_AllBusy_WaitsAndHonoursCancellation()
    {
        using var model = TransferModel.Load(fixture.ModelPath);
        using var pool = new PredictorPool(model, size: 1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();

        // RunAsync runs the work on the caller's thread once a predictor is free, so hold the only one from another thread.
        var busy = Task.Run(() => pool.RunAsync(p =>
        {
            started.Set();
            release.Wait();
            return p.Classes.Count;
        }));
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.PredictAsync(fixture.Images[0].Path, cancellationToken: cancel.Token));
        release.Set();

        Assert.Equal(10, await busy);
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public void Constructor_SizeZero_ThrowsNamingTheValue()
    {
        using var model = TransferModel.Load(fixture.ModelPath);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PredictorPool(model, 0));

        Assert.Equal("size", e.ParamName);
        Assert.StartsWith("The pool size must be at least 1, was 0. Pass the number of predictions to run at once (e.g. the core count).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PredictAsync_AfterDispose_ThrowsObjectDisposed()
    {
        using var model = TransferModel.Load(fixture.ModelPath);
        var pool = new PredictorPool(model, 1);
        pool.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pool.PredictAsync(fixture.Images[0].Path));
    }
}
