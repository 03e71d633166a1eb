using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Backprop.Tests;

/// <summary>
/// The suite's own rule for its quick loop, read from the compiled tests' IL: a test that starts a process (through
/// <see cref="ChildProcess"/>, the only code here that may) carries <c>[Trait("Category", "Process")]</c>, and a test that
/// starts none does not, so that <c>dotnet test --filter "Category!=Process"</c> runs everything that runs in-process.
/// </summary>
public sealed class TestSuiteTests
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Assembly Tests = typeof(TestSuiteTests).Assembly;

    /// <summary>Every test, as xunit runs it (a test class and one of its test methods, its own or inherited), and whether it starts a process.</summary>
    private static readonly Lazy<Dictionary<(Type Class, MethodInfo Test), bool>> StartsProcess = new(() =>
        TestMethods().ToDictionary(t => t, t => Reaches(t.Test, t.Class, typeof(ChildProcess))));

    [Fact]
    public void Every_test_that_starts_a_process_carries_the_process_trait_and_no_other_test_does()
    {
        var untraited = StartsProcess.Value.Where(t => t.Value && !HasProcessTrait(t.Key)).Select(t => Name(t.Key)).ToList();
        var needless = StartsProcess.Value.Where(t => !t.Value && HasProcessTrait(t.Key)).Select(t => Name(t.Key)).ToList();

        Assert.True(untraited.Count == 0, $"these tests start a process: give each [Trait(\"Category\", \"Process\")], or its class when all of its tests start one:\n{string.Join('\n', untraited)}");
        Assert.True(needless.Count == 0, $"these tests start no process, so the trait hides them from the quick loop for nothing:\n{string.Join('\n', needless)}");
    }

    [Fact]
    public void The_scan_sees_processes_started_directly_through_helpers_fixtures_and_async_code()
    {
        bool Starts(Type type, string method) => StartsProcess.Value[(type, type.GetMethod(method)!)];

        Assert.True(Starts(typeof(Cli.RunnerProcessTests), nameof(Cli.RunnerProcessTests.A_misspelt_command_says_what_was_meant_points_to_help_and_exits_2))); // a private helper
        Assert.True(Starts(typeof(Reference.PyTorchReferenceTests), nameof(Reference.PyTorchReferenceTests.The_initial_weights_are_PyTorch_s_bit_for_bit))); // a fixture's Lazy
        Assert.True(Starts(typeof(Notebooks.NotebookTests), nameof(Notebooks.NotebookTests.Runs_to_its_end_with_exit_code_0))); // a lambda in a cache
        Assert.False(Starts(typeof(Notebooks.NotebookTests), nameof(Notebooks.NotebookTests.The_stored_outputs_are_read_and_compared_cell_by_cell)));
        Assert.False(Starts(typeof(Cli.BackpropAppTests), nameof(Cli.BackpropAppTests.Train_writes_metrics_as_json_lines_and_evaluate_accepts_its_checkpoint)));
        Assert.True(Starts(typeof(Reference.DeepInteropTests), nameof(Reference.DeepInteropTests.PyTorch_scores_the_exported_pt_at_our_own_test_accuracy))); // inherited
        Assert.False(Starts(typeof(Cli.Runs.DeepExportTests), nameof(Cli.Runs.DeepExportTests.The_pt_and_safetensors_files_hold_the_checkpoint_s_weights_bit_for_bit)));
        Assert.InRange(StartsProcess.Value.Count(t => t.Value), 30, StartsProcess.Value.Count - 300);
    }

    [Fact]
    public void Only_ChildProcess_starts_a_process_and_the_code_under_test_starts_none()
    {
        var starters = new[] { typeof(System.Diagnostics.Process), typeof(System.Diagnostics.ProcessStartInfo) };
        var direct = Tests.GetTypes().Where(t => t != typeof(ChildProcess) && !IsNestedIn(t, typeof(ChildProcess)))
            .SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
            .Where(m => Calls(m).Any(c => IsStart(c, starters))).Select(Name).ToList();
        var underTest = new[] { typeof(Backprop.Training.Fit).Assembly, typeof(Backprop.Cli.ExitCodes).Assembly }
            .SelectMany(a => a.GetTypes()).SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
            .Where(m => Calls(m).Any(c => IsStart(c, starters))).Select(Name).ToList();

        Assert.True(direct.Count == 0, $"start these processes through ChildProcess, which reads their outputs and kills what a failed test leaves running:\n{string.Join('\n', direct)}");
        Assert.True(underTest.Count == 0, $"the scan follows the tests' own code only, so a process the library or the runner starts would hide from it:\n{string.Join('\n', underTest)}");
    }

    private static bool IsStart(MemberInfo m, Type[] starters) =>
        starters.Contains(m.DeclaringType) && (m is ConstructorInfo || m.Name == nameof(System.Diagnostics.Process.Start));

    private static IEnumerable<(Type Class, MethodInfo Test)> TestMethods() =>
        Tests.GetTypes().Where(t => t.IsClass && !t.IsAbstract)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static).Select(m => (t, m)))
            .Where(t => t.m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    /// <summary>The trait on the test method, on its class or on a class it derives from (xunit reads class traits inherited).</summary>
    private static bool HasProcessTrait((Type Class, MethodInfo Test) t)
    {
        static bool Marked(MemberInfo m) => m.GetCustomAttributesData().Any(a =>
            a.AttributeType == typeof(TraitAttribute) && a.ConstructorArguments is [{ Value: "Category" }, { Value: "Process" }]);
        for (var c = t.Class; c is not null; c = c.BaseType)
            if (Marked(c)) return true;
        return Marked(t.Test);
    }

    /// <summary>
    /// Whether <paramref name="test"/> can reach a member of <paramref name="target"/>: through the methods it calls, the
    /// lambdas and local functions it makes, its async state machine, its class's constructor and fixtures, and, for any
    /// class of the tests it uses, that class's constructors (a fixture's Lazy is set up there) and overrides (called
    /// through a base class or an interface).
    /// </summary>
    private static bool Reaches(MethodBase test, Type testClass, Type target)
    {
        var seen = new HashSet<MethodBase>();
        var todo = new Stack<MethodBase>([test, .. Fixtures(testClass).SelectMany(t => t.GetConstructors(Declared))]);
        var types = new HashSet<Type>();
        while (todo.TryPop(out var m))
        {
            if (!seen.Add(m)) continue;
            if (m.DeclaringType is { } owner && types.Add(owner))
                foreach (var more in owner.GetConstructors(Declared).Cast<MethodBase>().Concat(owner.GetMethods(Declared).Where(v => v.IsVirtual && !v.IsAbstract)))
                    todo.Push(more);
            if (m.GetCustomAttribute<StateMachineAttribute>() is { } machine)
                todo.Push(machine.StateMachineType.GetMethod("MoveNext", Declared)!);
            foreach (var called in Calls(m))
            {
                if (called.DeclaringType == target || (called.DeclaringType is { } d && IsNestedIn(d, target))) return true;
                if (called is MethodBase next && next.Module.Assembly == Tests) todo.Push(next);
            }
        }
        return false;
    }

    /// <summary>The test class and its bases, its <c>IClassFixture&lt;T&gt;</c>s and its collection's <c>ICollectionFixture&lt;T&gt;</c>s.</summary>
    private static IEnumerable<Type> Fixtures(Type testClass)
    {
        var collection = testClass.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute))?.ConstructorArguments[0].Value as string;
        var definitions = Tests.GetTypes().Where(t => collection is not null && t.GetCustomAttributesData()
            .Any(a => a.AttributeType == typeof(CollectionDefinitionAttribute) && Equals(a.ConstructorArguments[0].Value, collection)));
        var classes = new List<Type>();
        for (var c = testClass; c is not null && c.Assembly == Tests; c = c.BaseType) classes.Add(c);
        return classes.Concat(classes.Concat(definitions).SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IClassFixture<>) || i.GetGenericTypeDefinition() == typeof(ICollectionFixture<>)))
            .Select(i => i.GetGenericArguments()[0]));
    }

    private static bool IsNestedIn(Type t, Type outer) => t.DeclaringType is { } d && (d == outer || IsNestedIn(d, outer));

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every method, constructor, field or type that <paramref name="m"/>'s IL names (calls, <c>newobj</c>, <c>ldftn</c> of lambdas...).</summary>
    private static IEnumerable<MemberInfo> Calls(MethodBase m)
    {
        var il = m.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArgs = m.DeclaringType is { IsGenericType: true } g ? g.GetGenericArguments() : null;
        var methodArgs = m is MethodInfo { IsGenericMethod: true } ? m.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var op = il[i] == 0xFE ? OpCodesByValue[unchecked((short)(0xFE00 | il[i + 1]))] : OpCodesByValue[il[i]];
            i += op.Size;
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineField)
                yield return m.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs)!;
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
        }
    }

    private static string Name(MethodBase m) => $"{m.DeclaringType?.FullName}.{m.Name}";

    private static string Name((Type Class, MethodInfo Test) t) => $"{t.Class.FullName}.{t.Test.Name}";
}
