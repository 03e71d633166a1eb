namespace Backprop.Tests.Reference;

/// <summary>
/// A Python with PyTorch, used as an oracle: the scripts next to this file run the course's own code, and the tests compare
/// their numbers with ours. Found as <c>$BACKPROP_PYTHON</c>, else the first of <c>python3</c> and <c>/usr/bin/python3</c>
/// that imports torch and numpy (Debian: <c>apt-get install python3-torch</c>).
/// </summary>
internal static class PyTorch
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The Python that imports torch, or <see langword="null"/> when there is none.</summary>
    public static string? Python => Found.Value;

    /// <summary>
    /// Runs <paramref name="script"/> (a file in <c>Reference/</c>) with <paramref name="args"/> in this process's
    /// environment (so a forced <c>ATEN_CPU_CAPABILITY</c> holds for both sides); returns its standard output.
    /// </summary>
    /// <exception cref="InvalidOperationException">The script failed: its exit code and standard error.</exception>
    public static string Run(string script, params string[] args) => Run(null, script, args);

    /// <summary>As <see cref="Run(string, string[])"/>, with <paramref name="env"/> added to the environment.</summary>
    /// <exception cref="InvalidOperationException">The script failed: its exit code and standard error.</exception>
    public static string Run(IReadOnlyDictionary<string, string?>? env, string script, params string[] args)
    {
        var python = Python ?? throw new InvalidOperationException("no Python with PyTorch");
        var path = Path.Combine(Repo.Root, "tests", "Backprop.TorchSharp.Tests", "Reference", script);
        var (code, stdout, stderr) = ChildProcess.Run(python, [path, .. args], TimeSpan.FromMinutes(10), env);
        return code == 0 ? stdout : throw new InvalidOperationException($"{script} exited {code}:\n{stderr}");
    }

    /// <summary>Whether <see cref="Python"/> also imports <paramref name="module"/> (e.g. <c>onnx</c>: Debian's python3-onnx).</summary>
    public static bool Imports(string module) => Python is { } python && Modules.GetOrAdd(module, m => ChildProcess.Run(python, ["-c", $"import {m}"], TimeSpan.FromMinutes(1)).Code == 0);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Modules = new();

    private static string? Find()
    {
        var candidates = Environment.GetEnvironmentVariable("BACKPROP_PYTHON") is { Length: > 0 } chosen ? [chosen] : new[] { "python3", "/usr/bin/python3" };
        foreach (var python in candidates)
        {
            try
            {
                if (ChildProcess.Run(python, ["-c", "import numpy, torch"], TimeSpan.FromMinutes(1)).Code == 0) return python;
            }
            catch (System.ComponentModel.Win32Exception) { } // not installed
        }
        return null;
    }
}
