namespace Transfer.Samples.Tests;

/// <summary>The Predict sample, run as a program on the shared trained model.</summary>
[Collection(SamplesGroup.Name)]
public sealed class PredictTests(SamplesFixture fixture)
{
    [Fact]
    public async Task Predict_Images_PrintsTopThreeLikeThePredictor()
    {
        var images = fixture.Images.Take(10).ToList();

        var result = await SampleProcess.RunAsync("Predict", [fixture.ModelPath, .. images.Select(i => i.Path)]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(string.Empty, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(images.Count * 4, lines.Count);
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(images[i].Path, lines[i * 4]);
            for (int k = 0; k < 3; k++)
            {
                var expected = images[i].Expected.Top[k];
                string line = lines[(i * 4) + 1 + k];
                Assert.StartsWith($"  {k + 1}. {expected.Label} ", line, StringComparison.Ordinal);
                double percent = double.Parse(line[..^2].Trim().Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(expected.Score * 100, percent, 0.011);
            }
        }
    }

    [Fact]
    public async Task Predict_UnreadableImages_ReportedAndOthersStillPredicted()
    {
        string notes = Path.Combine(fixture.Directory, "readme.txt");
        await File.WriteAllTextAsync(notes, "not an image");
        string missing = Path.Combine(fixture.Directory, "missing.png");
        var (_, good1, expected1) = fixture.Images[0];
        var (_, good2, expected2) = fixture.Images[5];

        var result = await SampleProcess.RunAsync("Predict", [fixture.ModelPath, good1, notes, missing, good2, "--top", "2"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        var errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("error: ", errors[0], StringComparison.Ordinal);
        Assert.Contains(notes, errors[0], StringComparison.Ordinal);
        Assert.Contains(missing, errors[1], StringComparison.Ordinal);
        Assert.Equal("2 of 4 images could not be predicted.", errors[2]);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(
            [good1, $"  1. {expected1.Top[0].Label}", $"  2. {expected1.Top[1].Label}", good2, $"  1. {expected2.Top[0].Label}", $"  2. {expected2.Top[1].Label}"],
            lines.Select(l => l.StartsWith("  ", StringComparison.Ordinal) ? l[..l.IndexOf(' ', 5)] : l).ToList());
    }

    [Fact]
    public async Task Predict_MissingModel_ExitsTwoWithOneLineError()
    {
        string missing = Path.Combine(fixture.Directory, "nope.zip");

        var result = await SampleProcess.RunAsync("Predict", [missing, fixture.Images[0].Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"error: Model \"{missing}\" does not exist. Pass the path of a model zip saved by Transfer.", result.Error.Trim());
        Assert.Equal(string.Empty, result.Output);
    }

    [Fact]
    public async Task Predict_NotAModelFile_ExitsTwoNamingTheFile()
    {
        string bogus = Path.Combine(fixture.Directory, "bogus.zip");
        await File.WriteAllTextAsync(bogus, "this is not a zip");

        var result = await SampleProcess.RunAsync("Predict", [bogus, fixture.Images[0].Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        string error = result.Error.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith($"error: Model \"{bogus}\" cannot be loaded:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_NoImages_ExitsTwoWithUsage()
    {
        var result = await SampleProcess.RunAsync("Predict", [fixture.ModelPath]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("error: Pass a model zip and at least one image. Usage: Predict <model.zip> <image> [<image>…] [--top 3]", result.Error.Trim());
    }
}
