using System.Diagnostics;
using System.Text;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Transfer.Testing.Tests;

/// <summary>
/// Packs Transfer.Scoring, Transfer.Core, Transfer.Pipelines and Transfer.Testing into a local folder feed and builds and runs a fresh
/// xunit project against them with package references only. Its one test is the example of docs/TESTING.md (TestingDocExample.cs),
/// so a user who pastes it into a new project gets what this test got.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output)
{
    private static readonly string[] Packed = ["Transfer.Scoring", "Transfer.Core", "Transfer.Pipelines", "Transfer.Testing"];

    [Fact]
    [Trait("Category", "Package")]
    public void FreshXunitProject_AgainstPackedPackages_BuildsAndPassesTheTestingDocExample()
    {
        string work = Directory.CreateTempSubdirectory("transfer-testing-pack-").FullName;
        // A version no earlier run used, so restore cannot take a stale copy from the global packages folder.
        string version = $"0.0.0-packtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        try
        {
            string feed = Path.Combine(work, "feed");
            foreach (string project in Packed)
            {
                // The version is pinned over MinVer's (from git tags). --no-build --no-restore: the projects were built and restored for this test run (this project references them); packing must not rebuild them or rewrite their obj/ under the running tests.
                Run("dotnet", ["pack", RepositoryFiles.Combine("src", project, project + ".csproj"), "--no-build", "--no-restore", "-c", Configuration, "-o", feed, $"-p:Version={version}", $"-p:MinVerVersionOverride={version}", "-nologo"], RepositoryFiles.Root, TimeSpan.FromMinutes(5));
                Assert.True(File.Exists(Path.Combine(feed, $"{project}.{version}.nupkg")), $"{project}.{version}.nupkg was not written to {feed}.");
            }

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            // Empty props files stop MSBuild from picking up anything above the temp folder.
            File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="transfer-local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "MyApp.Tests.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <IsPackable>false</IsPackable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Transfer.Pipelines" Version="{version}" />
                    <PackageReference Include="Transfer.Testing" Version="{version}" />
                    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{PackageVersion("Microsoft.NET.Test.Sdk")}" />
                    <PackageReference Include="xunit" Version="{PackageVersion("xunit")}" />
                    <PackageReference Include="xunit.runner.visualstudio" Version="{PackageVersion("xunit.runner.visualstudio")}" />
                  </ItemGroup>
                </Project>
                """);
            File.Copy(RepositoryFiles.Combine("tests", "Transfer.Testing.Tests", "TestingDocExample.cs"), Path.Combine(app, "TestingDocExample.cs"));

            string results = Path.Combine(app, "results");
            string log = Run("dotnet", ["test", Path.Combine(app, "MyApp.Tests.csproj"), "-nologo", "--logger", "trx;LogFileName=result.trx", "--results-directory", results], app, TimeSpan.FromMinutes(8));
            var trx = XDocument.Load(Path.Combine(results, "result.trx"));
            XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
            var counters = trx.Descendants(ns + "Counters").Single();
            var outcome = trx.Descendants(ns + "UnitTestResult").Select(r => $"{(string?)r.Attribute("testName")}: {(string?)r.Attribute("outcome")}").ToList();
            Assert.True((string?)counters.Attribute("total") == "1" && (string?)counters.Attribute("passed") == "1", $"Expected the docs/TESTING.md example to be the one test and to pass; results: {string.Join("; ", outcome)}.{Environment.NewLine}{log}");
            Assert.Contains("Pipeline_OnSyntheticShapes_LearnsThemAndReloadsTheSame: Passed", outcome.Single(), StringComparison.Ordinal);
            // No project reference crept in: the app was compiled against the packed assemblies.
            string assets = File.ReadAllText(Path.Combine(app, "obj", "project.assets.json"));
            Assert.Contains($"\"Transfer.Testing/{version}\"", assets, StringComparison.Ordinal);
            Assert.Contains($"\"Transfer.Core/{version}\"", assets, StringComparison.Ordinal);
            Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal);
        }
        finally
        {
            DeleteQuietly(work);
            foreach (string project in Packed)
            {
                DeleteQuietly(Path.Combine(GlobalPackagesFolder(), project.ToLowerInvariant(), version));
            }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string PackageVersion(string id)
    {
        var props = XDocument.Load(RepositoryFiles.Combine("Directory.Packages.props"));
        return props.Descendants("PackageVersion").Single(e => (string?)e.Attribute("Include") == id).Attribute("Version")!.Value;
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, true);
            }
        }
        catch (IOException)
        {
        }
    }

    private string Run(string fileName, string[] arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under 'dotnet test'; its MSBuild variables would steer the child build to the outer one's SDK state.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        var log = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"'{fileName} {string.Join(' ', arguments)}' did not finish within {timeout}. Output:{Environment.NewLine}{log}");
        }

        process.WaitForExit();
        string text;
        lock (log)
        {
            text = log.ToString();
        }

        output.WriteLine($"$ {fileName} {string.Join(' ', arguments)}  ({clock.Elapsed.TotalSeconds:F1} s, exit {process.ExitCode})");
        Assert.True(process.ExitCode == 0, $"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}. Output:{Environment.NewLine}{text}");
        return text;
    }
}
