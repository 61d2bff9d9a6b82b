using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

/// <summary><c>--manifest labels.csv</c> (with <c>--path-col</c>, <c>--label-col</c>) in place of a folder of class folders.</summary>
[Collection(CliTestGroup.Name)]
public sealed class ManifestArgumentsTests(CliData data)
{
    [Fact]
    public async Task Train_ManifestWithRelativeAndAbsolutePaths_TrainsOnTheListedImages()
    {
        string folder = data.NewFolder("manifest");
        string model = Path.Combine(folder, "m.zip");
        string csv = WriteManifest(folder, "File,Kind,Note", (path, label) => $"{path},{label},x");
        File.AppendAllText(csv, "missing/nothing.png,Bag,gone\n");

        var run = await CliRunner.RunAsync("train", "--manifest", csv, "--path-col", "file", "--label-col", "KIND", "--out", model, "--cache", data.Cache, "--head", "lbfgs", "--test-fraction", "0", "--skip-bad-images", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal(csv, root.GetProperty("manifest").GetString());
        Assert.Equal(18, root.GetProperty("trainImages").GetInt32());
        Assert.Equal(18, root.GetProperty("cacheHits").GetInt32()); // the same bytes as the folder's: the content-keyed cache has them
        Assert.Equal(CliData.Classes, root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        var skipped = Assert.Single(root.GetProperty("skipped").EnumerateArray());
        Assert.Equal(Path.Combine(folder, "missing", "nothing.png"), skipped.GetProperty("source").GetString());
        Assert.Contains($"line {CliData.Classes.Length * 6 + 2}", skipped.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public async Task Evaluate_ManifestWithDefaultColumns_ScoresTheListedImages()
    {
        string csv = WriteTestManifest(data.NewFolder("manifest-eval"));

        var fromManifest = await CliRunner.RunAsync("evaluate", data.Model, "--manifest", csv, "--json");
        var fromFolder = await CliRunner.RunAsync("evaluate", data.Model, data.Test, "--json");

        Assert.True(fromManifest.ExitCode == 0, fromManifest.ToString());
        Assert.Equal(fromFolder.Out, fromManifest.Out);
    }

    [Fact]
    public async Task Train_TestManifest_EvaluatesOnTheListedImages()
    {
        string folder = data.NewFolder("manifest-test");
        string csv = WriteTestManifest(folder);

        var run = await CliRunner.RunAsync("train", data.Train, "--test", csv, "--out", Path.Combine(folder, "m.zip"), "--cache", data.Cache, "--head", "lbfgs", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(9, json.RootElement.GetProperty("testImages").GetInt32());
        Assert.Equal("test", json.RootElement.GetProperty("estimate").GetProperty("method").GetString());
        Assert.Equal(27, json.RootElement.GetProperty("cacheHits").GetInt32());
    }

    [Theory]
    [InlineData("ImagePath,Label\nBag/a.png,\n", "line 2: the Label column is empty.")]
    [InlineData("ImagePath,Label\nBag/none.png,Bag\n", "line 2: image \"Bag/none.png\" does not exist")]
    [InlineData("Image,Class\nBag/a.png,Bag\n", "has no column \"ImagePath\" (nor \"path\") in its header row (\"Image\", \"Class\"). Name the column (ManifestLayout.PathColumn; transfer: --path-col <column>)")]
    [InlineData("ImagePath,Label\nBag/a.png\n", "line 2: 1 field(s), but the header has 2")]
    [InlineData("ImagePath,Label\n\"Bag/a.png,Bag\n", "line 2: a quoted field is never closed.")]
    [InlineData("", "is empty.")]
    public async Task Train_BadManifest_ExitsNoImagesNamingTheRow(string content, string expected)
    {
        string folder = data.NewFolder("bad-manifest");
        string csv = Path.Combine(folder, "labels.csv");
        File.WriteAllText(csv, content);

        var run = await CliRunner.RunAsync("train", "--manifest", csv, "--out", Path.Combine(folder, "m.zip"));

        TrainCommandTests.AssertError(run, ExitCode.NoImages, expected);
        Assert.Contains(csv, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_ManifestWithAMissingImage_ExitsNoImagesWithoutOfferingASkip()
    {
        string csv = Path.Combine(data.NewFolder("manifest-eval-missing"), "test.csv");
        File.WriteAllText(csv, "ImagePath,Label\nBag/gone.png,Bag\n");

        var run = await CliRunner.RunAsync("evaluate", data.Model, "--manifest", csv);

        TrainCommandTests.AssertError(run, ExitCode.NoImages, "line 2: image \"Bag/gone.png\" does not exist");
        Assert.EndsWith("Fix the row.", run.Error.Trim(), StringComparison.Ordinal); // evaluate has no --skip-bad-images
    }

    [Fact]
    public async Task Train_FolderAndManifest_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("train", data.Train, "--manifest", "labels.csv", "--out", Path.Combine(data.Root, "x.zip"));

        TrainCommandTests.AssertError(run, ExitCode.Usage, "not both");
    }

    [Fact]
    public async Task Train_NeitherFolderNorManifest_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("train", "--out", Path.Combine(data.Root, "x.zip"));

        TrainCommandTests.AssertError(run, ExitCode.Usage, "Pass the image folder (one sub-folder per class) or --manifest <labels.csv>.");
    }

    [Fact]
    public async Task Train_MissingManifest_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "no-labels.csv");

        var run = await CliRunner.RunAsync("train", "--manifest", missing, "--out", Path.Combine(data.Root, "x.zip"));

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Featurize_Manifest_FillsTheCacheBesideIt()
    {
        string folder = data.NewFolder("manifest-featurize");
        string csv = WriteManifest(folder, "path,label", (path, label) => $"{path},{label}");
        string cache = Path.Combine(folder, "cache");
        CliData.CopyTree(data.Cache, cache);

        var run = await CliRunner.RunAsync("featurize", "--manifest", csv, "--cache", cache, "--augment", "none", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(18, json.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(18, json.RootElement.GetProperty("cacheHits").GetInt32());
    }

    /// <summary>Writes a manifest of the training images: the first class by absolute path, the others relative to <paramref name="folder"/>.</summary>
    private string WriteManifest(string folder, string header, Func<string, string, string> row)
    {
        var lines = new List<string> { header };
        foreach (string c in CliData.Classes)
        {
            foreach (string file in Directory.GetFiles(Path.Combine(data.Train, c)).Order(StringComparer.Ordinal))
            {
                string path = c == CliData.Classes[0] ? file : Path.Combine("images", c, Path.GetFileName(file));
                if (c != CliData.Classes[0])
                {
                    Directory.CreateDirectory(Path.Combine(folder, "images", c));
                    File.Copy(file, Path.Combine(folder, path));
                }

                lines.Add(row(path, c));
            }
        }

        string csv = Path.Combine(folder, "labels.csv");
        File.WriteAllText(csv, string.Join("\n", lines) + "\n");
        return csv;
    }

    /// <summary>Writes <c>test.csv</c>: the test images by quoted absolute path, default column names, in the folder's order.</summary>
    private string WriteTestManifest(string folder)
    {
        string csv = Path.Combine(folder, "test.csv");
        var rows = CliData.Classes.SelectMany(c => Directory.GetFiles(Path.Combine(data.Test, c)).Order(StringComparer.Ordinal).Select(f => $"\"{f}\",{c}"));
        File.WriteAllLines(csv, ["ImagePath,Label", .. rows]);
        return csv;
    }
}
