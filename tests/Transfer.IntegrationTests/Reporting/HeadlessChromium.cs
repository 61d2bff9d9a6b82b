using System.Diagnostics;

namespace Transfer.IntegrationTests.Reporting;

/// <summary>Debian's headless Chromium, driven from the command line to screenshot a local page.</summary>
internal static class HeadlessChromium
{
    /// <summary>Gets the browser's path, or <see langword="null"/> when it is not installed.</summary>
    public static string? Find()
    {
        if (File.Exists("/usr/bin/chromium"))
        {
            return "/usr/bin/chromium";
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in new[] { "chromium", "chromium-browser" })
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Gets whether CI demands the browser (<c>TRANSFER_REQUIRE_BROWSER=1</c>): then a missing browser fails the test instead of skipping it.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("TRANSFER_REQUIRE_BROWSER") == "1";

    /// <summary>Gets the folder for test artifacts: <c>TRANSFER_ARTIFACTS</c>, or a temp folder when unset.</summary>
    public static string ArtifactsDirectory()
    {
        string dir = Environment.GetEnvironmentVariable("TRANSFER_ARTIFACTS") is { Length: > 0 } set ? set : Path.Combine(Path.GetTempPath(), "transfer-artifacts");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Renders <paramref name="page"/> and saves a PNG screenshot; throws with the browser's output if it fails or hangs.</summary>
    public static void Screenshot(string browser, string page, string png, int width = 1280, int height = 2000, int timeoutSeconds = 120)
    {
        string profile = Path.Combine(Path.GetTempPath(), $"transfer-chromium-{Guid.NewGuid():N}");
        File.Delete(png);
        var start = new ProcessStartInfo(browser)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", $"--user-data-dir={profile}", $"--window-size={width},{height}",
            $"--screenshot={png}", new Uri(Path.GetFullPath(page)).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {browser}.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"{browser} did not finish the screenshot of {page} within {timeoutSeconds} s.");
            }

            if (process.ExitCode != 0 || !File.Exists(png))
            {
                throw new InvalidOperationException($"{browser} exited with {process.ExitCode} and wrote no screenshot {png}.\n{stdout.Result}\n{stderr.Result}");
            }
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium's helper processes may still hold a file for a moment; the temp folder is cleaned by the OS.
            }
        }
    }
}
