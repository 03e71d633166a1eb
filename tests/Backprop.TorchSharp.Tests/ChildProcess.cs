using System.Diagnostics;
using System.Text;
using Mono.Unix.Native;

namespace Backprop.Tests;

/// <summary>
/// The one way a test starts a program (the runner, <c>dotnet run</c>/<c>pack</c>/<c>tool install</c>, python3,
/// <c>script</c>, git, mount...): its standard output and error are read in the background from the start, standard
/// input is open when asked for, and a child still running when its test ends is killed. A test that starts one carries
/// <c>[Trait("Category", "Process")]</c>, so that <c>dotnet test --filter "Category!=Process"</c> leaves it out
/// (<see cref="TestSuiteTests"/> holds every test to it).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Task _reading;

    private ChildProcess(ProcessStartInfo psi)
    {
        _p = Process.Start(psi)!;
        _reading = Task.WhenAll(Drain(_p.StandardOutput, _out), Drain(_p.StandardError, _err));
    }

    /// <summary>The child's process id.</summary>
    public int Id => _p.Id;

    /// <summary>Whether the child has ended.</summary>
    public bool HasExited => _p.HasExited;

    /// <summary>The child's exit code, once it has ended.</summary>
    public int ExitCode => _p.ExitCode;

    /// <summary>What the child has written to its standard output so far.</summary>
    public string Out
    {
        get { lock (_out) return _out.ToString(); }
    }

    /// <summary>What the child has written to its standard error so far.</summary>
    public string Err
    {
        get { lock (_err) return _err.ToString(); }
    }

    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="args"/> in <paramref name="cwd"/> (by default the repository's
    /// root), with <paramref name="env"/> set in its environment (a null value removes the variable) and, with
    /// <paramref name="input"/>, its standard input open for <see cref="Type"/>.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception"><paramref name="file"/> cannot be started (not installed).</exception>
    public static ChildProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null, string? cwd = null, bool input = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = cwd ?? Repo.Root,
            RedirectStandardInput = input,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        return new ChildProcess(psi);
    }

    /// <summary>Starts the runner as built beside these tests: <c>dotnet backprop.dll <paramref name="args"/></c>.</summary>
    public static ChildProcess StartRunner(params string[] args) => Start("dotnet", [Repo.RunnerDll, .. args]);

    /// <summary>
    /// Runs <paramref name="file"/> to its end, as <see cref="Start"/> starts it; fails the test, after killing it, when
    /// it runs past <paramref name="timeout"/>.
    /// </summary>
    /// <returns>Its exit code, standard output and standard error.</returns>
    /// <exception cref="System.ComponentModel.Win32Exception"><paramref name="file"/> cannot be started (not installed).</exception>
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string?>? env = null, string? cwd = null)
    {
        using var p = Start(file, args, env, cwd);
        return p.Wait(timeout);
    }

    /// <summary>Runs the runner as built beside these tests to its end, within 5 minutes: <c>dotnet backprop.dll <paramref name="args"/></c>.</summary>
    public static (int Code, string Out, string Err) Runner(params string[] args) => Run("dotnet", [Repo.RunnerDll, .. args], TimeSpan.FromMinutes(5));

    /// <summary>Waits for the child's end and its last output; fails the test, after killing it, past <paramref name="timeout"/>.</summary>
    /// <returns>Its exit code, standard output and standard error.</returns>
    public (int Code, string Out, string Err) Wait(TimeSpan timeout)
    {
        if (!WaitForExit(timeout))
        {
            Kill();
            Assert.Fail($"{Describe()} did not finish in {timeout.TotalMinutes:G} minutes; it printed:\n{Out}\n{Err}");
        }
        return (ExitCode, Out, Err);
    }

    /// <summary>Whether the child ended, and its outputs were read to their ends, within <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => _p.WaitForExit(timeout) && _reading.Wait(timeout);

    /// <summary>
    /// Waits, looking every 20 ms, until <paramref name="condition"/> holds; false when the child ends first or
    /// <paramref name="timeout"/> passes.
    /// </summary>
    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_p.HasExited || clock.Elapsed > timeout) return condition();
            Thread.Sleep(20);
        }
        return true;
    }

    /// <summary>Writes <paramref name="text"/> to the child's standard input (started with <c>input: true</c>) and flushes it.</summary>
    public void Type(string text)
    {
        _p.StandardInput.Write(text);
        _p.StandardInput.Flush();
    }

    /// <summary>Sends the child <paramref name="signal"/> (Linux), as <c>kill -SIG</c> does.</summary>
    public void Signal(Signum signal) => Assert.True(Syscall.kill(_p.Id, signal) == 0, $"kill -{signal} {_p.Id}: {Stdlib.GetLastError()}");

    /// <summary>Kills the child and whatever it started (SIGKILL), if it still runs.</summary>
    public void Kill()
    {
        try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // ended meanwhile
    }

    /// <summary>Kills the child if a failed assertion left it running, and frees its handles.</summary>
    public void Dispose()
    {
        Kill();
        _p.Dispose();
    }

    private string Describe() => $"{_p.StartInfo.FileName} {string.Join(' ', _p.StartInfo.ArgumentList)}";

    private static async Task Drain(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        for (int n; (n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0;)
            lock (into) into.Append(buffer, 0, n);
    }
}
