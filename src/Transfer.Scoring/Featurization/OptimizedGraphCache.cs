using System.Globalization;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Transfer.IO;

namespace Transfer.Featurization;

/// <summary>
/// ONNX Runtime's optimized graph (<see cref="SessionOptions.OptimizedModelFilePath"/>) saved in a folder and reused by
/// later sessions, so they skip graph optimization. A file's name is the key: SHA-256 of the input graph, ONNX Runtime
/// version, execution provider, optimization level and the CPU's vector extensions (a fully optimized graph holds
/// layouts chosen for this CPU). Files are written under a temporary name and renamed into place, so a reader never
/// sees half a file; one that fails to load is deleted and rebuilt.
/// </summary>
internal static class OptimizedGraphCache
{
    /// <summary>Gets the default folder: <c>$TRANSFER_ORT_CACHE</c>, else <c>$XDG_CACHE_HOME/transfer/onnxruntime</c>, else <c>~/.cache/transfer/onnxruntime</c>, else the temp folder.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? explicitDir = Environment.GetEnvironmentVariable("TRANSFER_ORT_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitDir))
            {
                return explicitDir;
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg))
            {
                return Path.Combine(xdg, "transfer", "onnxruntime");
            }

            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return !string.IsNullOrEmpty(home)
                ? Path.Combine(home, ".cache", "transfer", "onnxruntime")
                : Path.Combine(Path.GetTempPath(), "transfer-onnxruntime");
        }
    }

    /// <summary>Gets the file name of the optimized graph for a model under a provider and level.</summary>
    public static string FileName(byte[] model, string provider, GraphOptimizationLevel level)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(model, hash);
        string isa = Avx512F.IsSupported ? "avx512" : Avx2.IsSupported ? "avx2" : Avx.IsSupported ? "avx" : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string ort = OrtEnv.Instance().GetVersionString();
        return string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(hash[..16])}-ort{ort}-{provider.ToLowerInvariant()}-{(int)level}-{isa}.onnx");
    }

    /// <summary>
    /// Creates a session from the saved graph when there is one, else from <paramref name="model"/> while saving its
    /// optimized graph. Never fails because of the cache: an unusable folder or file means a plain session.
    /// </summary>
    public static InferenceSession Create(byte[] model, string? directory, string provider, Func<SessionOptions> makeOptions, ILogger logger, out bool fromSavedGraph)
    {
        fromSavedGraph = false;
        if (string.IsNullOrEmpty(directory))
        {
            return Plain(model, makeOptions);
        }

        string path;
        try
        {
            using (var probe = makeOptions())
            {
                path = Path.Combine(Path.GetFullPath(directory), FileName(model, provider, probe.GraphOptimizationLevel));
            }

            if (File.Exists(path))
            {
                try
                {
                    // The saved graph is already optimized: skip ORT's optimizers this time.
                    using var options = makeOptions();
                    options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
                    var session = new InferenceSession(path, options);
                    fromSavedGraph = true;
                    return session;
                }
                catch (OnnxRuntimeException e)
                {
                    ExecutionProviderLog.GraphCacheSkipped(logger, path, e);

                    TryDelete(path);
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            ExecutionProviderLog.GraphCacheSkipped(logger, directory, e);
            return Plain(model, makeOptions);
        }

        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        InferenceSession created;
        using (var options = makeOptions())
        {
            options.OptimizedModelFilePath = temp;
            try
            {
                created = new InferenceSession(model, options);
            }
            catch (OnnxRuntimeException e) when (e.Message.Contains(temp, StringComparison.Ordinal))
            {
                // Writing the optimized graph failed (read-only folder, disk full): run without saving it.
                ExecutionProviderLog.GraphCacheSkipped(logger, directory, e);

                TryDelete(temp);
                return Plain(model, makeOptions);
            }
        }

        try
        {
            AtomicFile.Commit(temp, path, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process saved the same graph first (same key, same content), or the folder is read-only; the temporary file is gone.
        }

        return created;
    }

    private static InferenceSession Plain(byte[] model, Func<SessionOptions> makeOptions)
    {
        using var options = makeOptions();
        return new InferenceSession(model, options);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
