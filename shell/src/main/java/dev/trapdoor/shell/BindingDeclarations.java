package dev.trapdoor.shell;

import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.expr.BinaryExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.DeclarationExpression;
import org.codehaus.groovy.ast.expr.EmptyExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.VariableExpression;
import org.codehaus.groovy.ast.stmt.ExpressionStatement;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;

/**
 * At the prompt, {@code def x = 5} should still be there on the next line: each line is its own
 * script, so top-level declarations become assignments to the shared binding.
 */
final class BindingDeclarations extends CompilationCustomizer {
    BindingDeclarations() {
        super(CompilePhase.CONVERSION);
    }

    @Override
    public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
        if (!classNode.isScript()) return;
        for (Statement s : source.getAST().getStatementBlock().getStatements()) {
            if (!(s instanceof ExpressionStatement es) || !(es.getExpression() instanceof DeclarationExpression d)) continue;
            if (d.isMultipleAssignmentDeclaration() || !d.getAnnotations().isEmpty()) continue;
            VariableExpression v = d.getVariableExpression();
            Expression value = d.getRightExpression() instanceof EmptyExpression ? ConstantExpression.NULL : d.getRightExpression();
            BinaryExpression assign = new BinaryExpression(new VariableExpression(v.getName()), d.getOperation(), value);
            assign.setSourcePosition(d);
            es.setExpression(assign);
        }
    }
}
