using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transfer.Benchmarks;

/// <summary>The JSON result (public keys at the top level, details per figure) and the console table.</summary>
internal sealed class BenchReport
{
    /// <summary>The top-level keys other tools read; null until measured.</summary>
    public static readonly string[] PublicKeys =
    [
        "featurize_images_per_s", "mlnet_images_per_s", "raw_ort_images_per_s", "warm_vs_cold_speedup",
        "predict_p50_ms", "predict_p99_ms", "mlnet_predict_p50_ms", "raw_ort_batch1_ms", "peak_ws_mb_5000", "peak_ws_mb_20000",
        "first_predict_ms", "fine_tune_images_per_s",
        "jpeg_featurize_images_per_s", "jpeg_decode_images_per_s", "jpeg_featurize_vs_raw_ort", "phone_jpeg_featurize_images_per_s",
    ];

    private readonly List<(string Section, string Figure, string Value)> _rows = [];

    public BenchReport(bool quick)
    {
        foreach (var key in PublicKeys)
        {
            Root[key] = null;
        }

        Root["quick"] = quick;
        Root["started_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        Root["machine"] = MachineInfo();
        Root["notes"] = Notes;
        Root["details"] = Details;
    }

    public JsonObject Root { get; } = [];

    public JsonObject Details { get; } = [];

    public JsonArray Notes { get; } = [];

    public void Set(string key, double? value) => Root[key] = value is { } v && double.IsFinite(v) ? Stats.Round(v, 3) : null;

    public void Row(string section, string figure, string value) => _rows.Add((section, figure, value));

    public void Note(string note)
    {
        Notes.Add(note);
        Console.WriteLine($"  note: {note}");
    }

    public void PrintTable()
    {
        int w1 = Math.Max(8, _rows.Max(r => r.Section.Length));
        int w2 = Math.Max(8, _rows.Max(r => r.Figure.Length));
        Console.WriteLine();
        Console.WriteLine($"{"section".PadRight(w1)}  {"figure".PadRight(w2)}  value");
        Console.WriteLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 24)}");
        foreach (var (section, figure, value) in _rows)
        {
            Console.WriteLine($"{section.PadRight(w1)}  {figure.PadRight(w2)}  {value}");
        }
    }

    public void Write(string path)
    {
        Root["finished_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
    }

    /// <summary>Processor count and name, OS, .NET and ONNX Runtime versions, GC mode, memory, git commit.</summary>
    internal static JsonObject MachineInfo()
    {
        string? cpu = null;
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new JsonObject
        {
            ["processor_count"] = Environment.ProcessorCount,
            ["processor_name"] = cpu,
            ["os"] = RuntimeInformation.OSDescription,
            ["architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["dotnet_version"] = Environment.Version.ToString(),
            ["onnxruntime"] = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(),
            ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
            ["memory_gb"] = Stats.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1),
            ["git_commit"] = GitCommit(),
        };
    }

    private static string? GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            });
            if (git is null)
            {
                return null;
            }

            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
