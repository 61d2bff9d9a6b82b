namespace Transfer.Cli.Commands;

/// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool and may reorder).</summary>
/// <typeparam name="T">The progress value.</typeparam>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
