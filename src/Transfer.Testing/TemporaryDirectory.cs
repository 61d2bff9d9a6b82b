namespace Transfer.Testing;

/// <summary>Deletes test folders without failing a test over a file another process still holds for a moment.</summary>
internal static class TemporaryDirectory
{
    public static void Delete(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 5)
            {
                Thread.Sleep(20 * (attempt + 1));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still held after retries: leave it to the OS temp cleaner rather than fail the test run in Dispose.
                return;
            }
        }
    }
}
