using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

/// <summary><c>transfer add-class</c> and <c>predict --unknown</c> on the real ResNet18 model of <see cref="CliData"/>.</summary>
[Collection(CliTestGroup.Name)]
public sealed class AddClassCommandTests(CliData data)
{
    /// <summary>Six training and three test images of a class the model does not know (Ankle_boot).</summary>
    private (string Train, string Test) NewClass()
    {
        string source = RepositoryFiles.Combine("samples", "QuickStart", "data");
        string root = data.NewFolder("boots");
        string[] files = [.. Directory.GetFiles(Path.Combine(source, "train", "Ankle_boot")).Order(StringComparer.Ordinal).Take(9)];
        Directory.CreateDirectory(Path.Combine(root, "train"));
        Directory.CreateDirectory(Path.Combine(root, "test"));
        for (int i = 0; i < files.Length; i++)
        {
            File.Copy(files[i], Path.Combine(root, i < 6 ? "train" : "test", Path.GetFileName(files[i])));
        }

        return (Path.Combine(root, "train"), Path.Combine(root, "test"));
    }

    [Fact]
    public async Task AddClass_Json_NewModelKnowsTheClassAndItsManifestRecordsIt()
    {
        var (train, test) = NewClass();
        string output = Path.Combine(data.NewFolder("added"), "bigger.zip");

        var run = await CliRunner.RunAsync("add-class", data.Model, train, "--label", "Ankle_boot", "--out", output, "--cache", data.Cache, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal([.. CliData.Classes, "Ankle_boot"], root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal(6, root.GetProperty("images").GetInt32());
        Assert.Equal("imprint", root.GetProperty("method").GetString());
        using (var model = Models.TransferModel.Load(output))
        {
            var added = Assert.Single(model.Manifest.AddedClasses);
            Assert.Equal(("Ankle_boot", 6, "imprint"), (added.Label, added.Images, added.Method));
        }

        var predict = await CliRunner.RunAsync("predict", output, test, "--json");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        using var predictions = JsonDocument.Parse(predict.Out);
        Assert.True(predictions.RootElement.GetProperty("predictions").EnumerateArray().Count(p => p.GetProperty("label").GetString() == "Ankle_boot") >= 2, predict.Out);
    }

    [Fact]
    public async Task AddClass_BadInputs_ClearErrorsAndExitCodes()
    {
        var (train, _) = NewClass();
        string output = Path.Combine(data.NewFolder("bad"), "bigger.zip");

        var exists = await CliRunner.RunAsync("add-class", data.Model, train, "--label", "Bag", "--out", output);
        Assert.Equal(2, exists.ExitCode);
        Assert.Contains("--label \"Bag\" is already one of the model's classes (Bag, Sneaker, Trouser).", exists.Error, StringComparison.Ordinal);

        var empty = await CliRunner.RunAsync("add-class", data.Model, data.NewFolder("empty"), "--label", "Ankle_boot", "--out", output);
        Assert.Equal(4, empty.ExitCode);
        Assert.Contains("holds no images", empty.Error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(train, "broken.png"), "not an image");
        var broken = await CliRunner.RunAsync("add-class", data.Model, train, "--label", "Ankle_boot", "--out", output);
        Assert.Equal(5, broken.ExitCode);
        Assert.Contains("--skip-bad-images", broken.Error, StringComparison.Ordinal);
        var skipped = await CliRunner.RunAsync("add-class", data.Model, train, "--label", "Ankle_boot", "--out", output, "--skip-bad-images", "--json");
        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Single(JsonDocument.Parse(skipped.Out).RootElement.GetProperty("skipped").EnumerateArray());
    }

    [Fact]
    public async Task Predict_Unknown_AddsTheUnknownFieldAndRejectsBelowTheThreshold()
    {
        string[] images = [.. Directory.GetFiles(Path.Combine(data.Test, "Bag")).Order(StringComparer.Ordinal)];

        var plain = await CliRunner.RunAsync(["predict", data.Model, .. images, "--json"]);
        var stored = await CliRunner.RunAsync(["predict", data.Model, .. images, "--unknown", "--json"]);
        var strict = await CliRunner.RunAsync(["predict", data.Model, .. images, "--unknown-threshold", "1", "--json"]);

        Assert.True(plain.ExitCode == 0 && stored.ExitCode == 0 && strict.ExitCode == 0, plain + stored.ToString() + strict);
        Assert.DoesNotContain("\"unknown\"", plain.Out, StringComparison.Ordinal);
        using (var model = Models.TransferModel.Load(data.Model))
        {
            Assert.NotNull(model.Manifest.Unknown); // train stored one
        }

        foreach (var p in JsonDocument.Parse(stored.Out).RootElement.GetProperty("predictions").EnumerateArray())
        {
            bool unknown = p.GetProperty("unknown").GetBoolean();
            Assert.Equal(unknown, p.GetProperty("label").GetString() == "unknown");
        }

        foreach (var p in JsonDocument.Parse(strict.Out).RootElement.GetProperty("predictions").EnumerateArray())
        {
            Assert.True(p.GetProperty("unknown").GetBoolean());
            Assert.Equal("unknown", p.GetProperty("label").GetString());
            Assert.NotEqual("unknown", p.GetProperty("top")[0].GetProperty("label").GetString());
        }

        // A model saved before thresholds were stored: a clear error, and --unknown-threshold as the way out.
        string old = Path.Combine(data.NewFolder("old"), "old.zip");
        using (var model = Models.TransferModel.Load(data.Model))
        using (var withoutThreshold = model.With(model.Manifest with { Unknown = null }, model.Head))
        {
            withoutThreshold.Save(old);
        }

        var refused = await CliRunner.RunAsync(["predict", old, images[0], "--unknown"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("stores no 'unknown' threshold", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--unknown-threshold", refused.Error, StringComparison.Ordinal);
    }
}
