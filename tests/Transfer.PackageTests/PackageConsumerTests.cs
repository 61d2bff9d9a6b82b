using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Transfer.PackageTests;

/// <summary>The packages work as packages: a fresh app references only them, and the tool installs from them.</summary>
public sealed class PackageConsumerTests(PackageFeed feed, ITestOutputHelper output) : IClassFixture<PackageFeed>
{
    private const string ConsumerProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="{PACKAGE}" Version="{VERSION}" />
          </ItemGroup>
        </Project>
        """;

    // A user's first program: train on a folder, save, reload the zip, predict; then a model with a LightGbm head.
    private const string ConsumerProgram = """
        using Transfer.Backbones;
        using Transfer.Heads;
        using Transfer.Images;
        using Transfer.Models;
        using Transfer.Pipelines;

        Console.WriteLine($"MODELS {File.Exists(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"))}");
        var images = ImageSet.FromDirectory(args[0]);
        using (var result = await TransferPipeline.For(images).WithBackbone(Backbones.ResNet18).WithoutBottleneckCache().TestFraction(0).Build().RunAsync())
        {
            result.Model.Save(args[1]);
        }

        var lightGbm = new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.LightGbm });
        using (var result = await TransferPipeline.For(images).WithBackbone(Backbones.ResNet18).WithoutBottleneckCache().TestFraction(0).TrainHead(lightGbm).Build().RunAsync())
        {
            result.Model.Save(args[2]);
        }

        using var model = TransferModel.Load(args[1]);
        using var predictor = model.CreatePredictor();
        foreach (string image in args.Skip(3))
        {
            var p = predictor.Predict(image);
            Console.WriteLine($"PREDICTED {Path.GetFileName(image)} {p.Label} {p.Score:F4}");
        }
        """;

    // An app that only scores: load a zip saved by the pipeline, predict; then try a zip whose head is LightGbm.
    private const string ScoringProgram = """
        using Transfer.Models;

        using (var model = TransferModel.Load(args[0]))
        using (var predictor = model.CreatePredictor())
        {
            foreach (string image in args.Skip(2))
            {
                var p = predictor.Predict(image);
                Console.WriteLine($"PREDICTED {Path.GetFileName(image)} {p.Label} {p.Score:F4}");
            }
        }

        try
        {
            TransferModel.Load(args[1]).Dispose();
            Console.WriteLine("LIGHTGBM loaded");
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"LIGHTGBM {e.Message}");
        }
        """;

    /// <summary>What the app referencing Transfer.Pipelines left: its folder, the two models it saved, the images it scored and its output.</summary>
    private sealed record PipelinesApp(string Folder, string Model, string LightGbmModel, IReadOnlyList<(string Path, string Label)> Probes, string Output);

    private static readonly string[] Classes = ["Sneaker", "Trouser"];

    [Fact]
    public void Packages_HaveMetadataReadmeDocsSymbolsAndModelCopyTargets()
    {
        foreach (string id in PackageFeed.Projects)
        {
            string nupkg = Path.Combine(feed.Feed, $"{id}.{PackageFeed.Version}.nupkg");
            Assert.True(File.Exists(Path.Combine(feed.Feed, $"{id}.{PackageFeed.Version}.snupkg")), $"{id}: no symbol package");
            using var zip = ZipFile.OpenRead(nupkg);
            var nuspec = ReadNuspec(zip, id);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(id, metadata.Element(ns + "id")!.Value);
            Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
            Assert.Contains("image-classification", metadata.Element(ns + "tags")!.Value, StringComparison.Ordinal);
            Assert.Equal("git", metadata.Element(ns + "repository")!.Attribute("type")!.Value);
            Assert.Equal(PackageFeed.RepositoryUrl, metadata.Element(ns + "projectUrl")!.Value);

            // Each package carries its own readme (docs/packages/<id>.md), not the repository's front page.
            using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
            {
                Assert.Equal(File.ReadAllText(RepositoryFiles.Combine("docs", "packages", id + ".md")), readme.ReadToEnd());
            }
        }

        using (var core = ZipFile.OpenRead(Path.Combine(feed.Feed, $"Transfer.Core.{PackageFeed.Version}.nupkg")))
        {
            Assert.NotNull(core.GetEntry("lib/net10.0/Transfer.Core.dll"));
            Assert.NotNull(core.GetEntry("lib/net10.0/Transfer.Core.xml"));
            Assert.NotNull(core.GetEntry("buildTransitive/Transfer.Core.targets"));
            Assert.DoesNotContain(core.Entries, e => e.Name.EndsWith(".onnx", StringComparison.Ordinal)); // the model comes from its own package
            var dependencies = ReadNuspec(core, "Transfer.Core").Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
            Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", dependencies);
            Assert.Contains("Microsoft.ML.OnnxRuntime", dependencies);
            Assert.Contains("Transfer.Scoring", dependencies);
        }

        using (var scoring = ZipFile.OpenRead(Path.Combine(feed.Feed, $"Transfer.Scoring.{PackageFeed.Version}.nupkg")))
        {
            Assert.NotNull(scoring.GetEntry("lib/net10.0/Transfer.Scoring.dll"));
            Assert.NotNull(scoring.GetEntry("lib/net10.0/Transfer.Scoring.xml"));
            Assert.NotNull(scoring.GetEntry("buildTransitive/Transfer.Scoring.targets"));
            var dependencies = ReadNuspec(scoring, "Transfer.Scoring").Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
            Assert.Contains("Microsoft.ML.OnnxRuntime", dependencies);
            Assert.Empty(dependencies.Intersect(TrainingOnlyPackages.Append("Transfer.Core"), StringComparer.OrdinalIgnoreCase));
        }

        using (var pipelines = ZipFile.OpenRead(Path.Combine(feed.Feed, $"Transfer.Pipelines.{PackageFeed.Version}.nupkg")))
        {
            Assert.NotNull(pipelines.GetEntry("lib/net10.0/Transfer.Pipelines.xml"));
            var dependency = ReadNuspec(pipelines, "Transfer.Pipelines").Descendants().Single(e => e.Name.LocalName == "dependency" && e.Attribute("id")!.Value == "Transfer.Core");
            Assert.Equal(PackageFeed.Version, dependency.Attribute("version")!.Value);
        }

        using var tool = ZipFile.OpenRead(Path.Combine(feed.Feed, $"Transfer.Cli.{PackageFeed.Version}.nupkg"));
        Assert.NotNull(tool.GetEntry("tools/net10.0/any/DotnetToolSettings.xml"));
        Assert.NotNull(tool.GetEntry("tools/net10.0/any/DnnImageModels/ResNet18Onnx/ResNet18.onnx"));
        Assert.DoesNotContain(tool.Entries, e => e.FullName.Contains("runtimes/android/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Library_FreshConsoleAppReferencingOnlyThePackages_TrainsAndPredicts()
    {
        var app = await feed.OnceAsync(nameof(PipelinesApp), TrainWithThePipelinesPackageAsync);

        Assert.Contains("MODELS True", app.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(app.Model));
        Assert.True(File.Exists(app.LightGbmModel));
        foreach (var (path, label) in app.Probes)
        {
            Assert.Contains($"PREDICTED {Path.GetFileName(path)} {label} ", app.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ScoringOnly_FreshConsoleAppReferencingOnlyTransferScoring_PredictsAsThePipelinesApp()
    {
        var trained = await feed.OnceAsync(nameof(PipelinesApp), TrainWithThePipelinesPackageAsync);
        string app = CreateApp("scoring-app", "Transfer.Scoring", ScoringProgram);

        // Published (ONNX Runtime's mobile archives, debug symbols and .NET Framework copy trimmed), the app carries none
        // of the training stack, and runs from there.
        string publish = Path.Combine(app, "publish");
        (await DotNet.RunAsync(app, ["publish", "-c", "Release", "-o", publish], PackageFeed.StepTimeout)).EnsureSuccess();
        var libraries = RestoredLibraries(app);
        Assert.Contains($"Transfer.Scoring/{PackageFeed.Version}", libraries);
        foreach (string training in TrainingOnlyPackages.Append("Transfer.Core"))
        {
            Assert.DoesNotContain(libraries, l => l.StartsWith(training + "/", StringComparison.OrdinalIgnoreCase));
        }

        var files = Directory.GetFiles(publish, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(publish, f).Replace('\\', '/')).ToList();
        Assert.Contains("Transfer.Scoring.dll", files);
        Assert.DoesNotContain(files, f => f.Contains("lightgbm", StringComparison.OrdinalIgnoreCase) || f.Contains("Parquet", StringComparison.OrdinalIgnoreCase)
            || f.Contains("ResNet18", StringComparison.OrdinalIgnoreCase) || f.Contains("DnnImage", StringComparison.OrdinalIgnoreCase)
            || f.Contains("OnnxSharp", StringComparison.OrdinalIgnoreCase) || f.Contains("Transfer.Core", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("runtimes/android/", StringComparison.Ordinal) || f.StartsWith("runtimes/ios/", StringComparison.Ordinal) || f == "onnxruntime.dll");
        Assert.Contains(files, f => f.StartsWith("runtimes/", StringComparison.Ordinal) && f.Contains("onnxruntime.", StringComparison.Ordinal));

        var run = await DotNet.RunAsync(
            app,
            [Path.Combine(publish, "scoring-app.dll"), trained.Model, trained.LightGbmModel, .. trained.Probes.Select(p => p.Path)],
            PackageFeed.StepTimeout);
        run.EnsureSuccess();

        // The same labels and scores as the app that trained the model, image by image.
        foreach (var (path, _) in trained.Probes)
        {
            Assert.Equal(PredictedLine(trained.Output, path), PredictedLine(run.Output, path));
        }

        Assert.Contains("LIGHTGBM ", run.Output, StringComparison.Ordinal);
        Assert.Contains("needs the Microsoft.ML.LightGbm package", run.Output, StringComparison.Ordinal);
        Assert.Contains("<PackageReference Include=\"Microsoft.ML.LightGbm\"", run.Output, StringComparison.Ordinal);
        output.WriteLine($"scoring-only publish folder: {FolderMegabytes(publish):F1} MB in {files.Count} files");
    }

    /// <summary>The packages only training needs; a scoring-only app restores none of them.</summary>
    private static readonly string[] TrainingOnlyPackages = ["Microsoft.ML.LightGbm", "Microsoft.ML.OnnxConverter", "Microsoft.ML.FastTree", "Parquet.Net", "Microsoft.ML.DnnImageFeaturizer.ResNet18", "OnnxSharp"];

    private async Task<PipelinesApp> TrainWithThePipelinesPackageAsync()
    {
        string app = CreateApp("app", "Transfer.Pipelines", ConsumerProgram);
        string train = Path.Combine(feed.Root, "images");
        string data = RepositoryFiles.Combine("samples", "QuickStart", "data");
        var probes = new List<(string Path, string Label)>();
        foreach (string c in Classes)
        {
            Directory.CreateDirectory(Path.Combine(train, c));
            foreach (string file in Directory.GetFiles(Path.Combine(data, "train", c)).Order(StringComparer.Ordinal).Take(6))
            {
                File.Copy(file, Path.Combine(train, c, Path.GetFileName(file)));
            }

            probes.Add((Directory.GetFiles(Path.Combine(data, "test", c)).Order(StringComparer.Ordinal).First(), c));
        }

        (await DotNet.RunAsync(app, ["build", "-c", "Release"], PackageFeed.StepTimeout)).EnsureSuccess();

        // Restored as packages (not projects), and the build output carries the model files and native ONNX Runtime.
        string assets = File.ReadAllText(Path.Combine(app, "obj", "project.assets.json"));
        using (var json = JsonDocument.Parse(assets))
        {
            var libraries = json.RootElement.GetProperty("libraries");
            Assert.Equal("package", libraries.GetProperty($"Transfer.Scoring/{PackageFeed.Version}").GetProperty("type").GetString());
            Assert.Equal("package", libraries.GetProperty($"Transfer.Core/{PackageFeed.Version}").GetProperty("type").GetString());
            Assert.Equal("package", libraries.GetProperty($"Transfer.Pipelines/{PackageFeed.Version}").GetProperty("type").GetString());
        }

        string bin = Path.Combine(app, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")), "ResNet18.onnx not in the app's output");
        Assert.True(File.Exists(Path.Combine(bin, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx")), "ResNetPreprocess.onnx not in the app's output");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(bin, "runtimes"), "*onnxruntime.*", SearchOption.AllDirectories));

        // NUGET_PACKAGES points nowhere, so Backbones.ResNet18 can only find the model in the app's own folder.
        string model = Path.Combine(feed.Root, "consumer-model.zip");
        string lightGbmModel = Path.Combine(feed.Root, "consumer-model-lightgbm.zip");
        var run = await DotNet.RunAsync(
            app,
            [Path.Combine(bin, "app.dll"), train, model, lightGbmModel, .. probes.Select(p => p.Path)],
            PackageFeed.StepTimeout,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(feed.Root, "no-packages-here") });
        run.EnsureSuccess();
        return new PipelinesApp(app, model, lightGbmModel, probes, run.Output);
    }

    private string CreateApp(string name, string package, string program)
    {
        string app = Path.Combine(feed.Root, name);
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, name + ".csproj"), ConsumerProject.Replace("{PACKAGE}", package, StringComparison.Ordinal).Replace("{VERSION}", PackageFeed.Version, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        return app;
    }

    private static List<string> RestoredLibraries(string app)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        return json.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToList();
    }

    private static string PredictedLine(string output, string image)
    {
        string prefix = $"PREDICTED {Path.GetFileName(image)} ";
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    private static double FolderMegabytes(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1e6;

    [Fact]
    public async Task Tool_InstalledFromThePackage_RunsHelpAndBackbones()
    {
        string tools = Path.Combine(feed.Root, "tools");
        (await DotNet.RunAsync(
            feed.Root,
            ["tool", "install", "Transfer.Cli", "--version", PackageFeed.Version, "--tool-path", tools, "--add-source", feed.Feed],
            PackageFeed.StepTimeout)).EnsureSuccess();
        string transfer = Path.Combine(tools, OperatingSystem.IsWindows() ? "transfer.exe" : "transfer");

        var help = (await DotNet.RunAsync(feed.Root, ["--help"], TimeSpan.FromMinutes(2), fileName: transfer)).EnsureSuccess();
        foreach (string command in new[] { "train", "evaluate", "predict", "cache", "backbones" })
        {
            Assert.Contains(command, help.Output, StringComparison.Ordinal);
        }

        var backbones = (await DotNet.RunAsync(
            feed.Root,
            ["backbones", "--measure", "1", "--json"],
            TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(feed.Root, "no-packages-here") },
            fileName: transfer)).EnsureSuccess();
        using var json = JsonDocument.Parse(backbones.Output);
        var resnet = json.RootElement.GetProperty("backbones")[0];
        Assert.True(resnet.GetProperty("available").GetBoolean(), backbones.Output);
        Assert.Equal(512, resnet.GetProperty("featureLength").GetInt32());

        var missing = await DotNet.RunAsync(feed.Root, ["predict", "no-model.zip", "x.png"], TimeSpan.FromMinutes(2), fileName: transfer);
        Assert.Equal(3, missing.ExitCode);
    }

    private static XDocument ReadNuspec(ZipArchive zip, string id)
    {
        using var stream = zip.GetEntry(id + ".nuspec")!.Open();
        return XDocument.Load(stream);
    }
}
