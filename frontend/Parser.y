/*===- Parser.y - The grammar of Weft model files --------------*- bison -*-===*
 *
 * Bison's C++ skeleton with typed semantic values and locations, as in the
 * manual's calc++ example. The parser only builds the AST; names, shapes and
 * layer arguments are Sema's business, so every message about meaning comes
 * from one place.
 *
 *===----------------------------------------------------------------------===*/

%require "3.8"
%language "c++"
%skeleton "lalr1.cc"
%header

%define api.namespace {weft}
%define api.parser.class {Parser}
%define api.value.type variant
%define api.token.constructor
%define api.token.prefix {TOK_}
%define parse.assert
%define parse.error detailed
%define parse.lac full
%locations

%param { ParseDriver &driver }

%code requires {
#include "frontend/AST.h"
namespace weft { class ParseDriver; }
}

%code {
#include "frontend/ParseDriver.h"

namespace weft {
Parser::symbol_type yylex(ParseDriver &driver);
}

using namespace weft;
using namespace weft::ast;

/// Deeper expressions are refused: no model needs them, and every walk over
/// an expression (Sema, printing, destruction) recurses.
static constexpr unsigned kMaxExpressionDepth = 256;

/// Reports `expr` if it nests deeper than kMaxExpressionDepth.
#define CHECK_DEPTH(expr, loc)                                                 \
  if ((expr)->depth > kMaxExpressionDepth) {                                   \
    driver.diagnostics.error(rangeOf(driver, loc),                             \
                             "expression nested more than " +                  \
                                 std::to_string(kMaxExpressionDepth) +         \
                                 " levels deep");                              \
    YYABORT;                                                                   \
  }

/// The AST's view of a Bison location in the file `driver` reads.
static SourceRange rangeOf(const ParseDriver &driver, const weft::location &loc) {
  return SourceRange{loc.begin.line, loc.begin.column, loc.end.line,
                     loc.end.column, driver.bufferId};
}
}

%token
  MODEL   "model"
  INPUT   "input"
  LAYER   "layer"
  FORWARD "forward"
  LOSS    "loss"
  TRAIN   "train"
  BLOCK   "block"
  REPEAT  "repeat"
  RETURN  "return"
  IMPORT  "import"
  LBRACE  "{"
  RBRACE  "}"
  LPAREN  "("
  RPAREN  ")"
  LBRACKET "["
  RBRACKET "]"
  COMMA   ","
  COLON   ":"
  ASSIGN  "="
  PLUS    "+"
  MINUS   "-"
  STAR    "*"
  SLASH   "/"
;
%token <std::string> IDENT "identifier"
%token <std::string> STRING "string"
%token <std::string> INTEGER "integer"
%token <std::string> REAL "number"
%token END 0 "end of file"

%type <ast::ExprPtr> expr primary
%type <std::unique_ptr<ast::CallExpr>> call
%type <std::vector<ast::Argument>> args args_opt fields fields_opt
%type <ast::Argument> arg field
%type <std::vector<ast::ExprPtr>> exprs exprs_opt return_opt
%type <ast::TypeExpr> type
%type <ast::Assignment> assignment
%type <std::vector<ast::Assignment>> assignments
%type <std::vector<ast::Assignment::Target>> targets
%type <ast::ModelParam> param
%type <std::vector<ast::ModelParam>> params params_opt model_params

%left "+" "-"
%left "*" "/"
%precedence NEG

%start file

%%

/* Error recovery: a broken top-level item resumes at the next `model`,
   `block`, `train` or `import`, a broken model item at the next item or `}`,
   a broken statement at the next statement, so one file reports each
   independent mistake. */
file:
  %empty
| file model
| file block
| file train
| file import
| file error
;

import:
  "import" STRING
    { driver.importFile($2, rangeOf(driver, @2)); }
;

/*===------------------------------------------------------------------===*/
/* Models                                                                 */
/*===------------------------------------------------------------------===*/

model:
  "model" IDENT model_params "{"
    {
      auto model = std::make_unique<ModelDecl>();
      model->name = $2;
      model->range = rangeOf(driver, @2);
      model->params = std::move($3);
      driver.currentModel = model.get();
      driver.module.models.push_back(std::move(model));
    }
  model_items "}"
    { driver.currentModel = nullptr; }
;

block:
  "block" IDENT model_params "{"
    {
      auto block = std::make_unique<ModelDecl>();
      block->name = $2;
      block->range = rangeOf(driver, @2);
      block->isBlock = true;
      block->params = std::move($3);
      driver.currentModel = block.get();
      driver.module.blocks.push_back(std::move(block));
    }
  model_items "}"
    { driver.currentModel = nullptr; }
;

model_params:
  %empty               { }
| "(" params_opt ")"   { $$ = std::move($2); }
;

params_opt:
  %empty               { }
| params               { $$ = std::move($1); }
;

params:
  param                { $$.push_back(std::move($1)); }
| params "," param     { $$ = std::move($1); $$.push_back(std::move($3)); }
;

param:
  IDENT ":" IDENT
    { $$.name = $1; $$.typeName = $3; $$.range = rangeOf(driver, @1); }
| IDENT ":" IDENT "=" expr
    { $$.name = $1; $$.typeName = $3; $$.range = rangeOf(driver, @1);
      $$.defaultValue = std::move($5); }
;

model_items:
  %empty
| model_items model_item
;

model_item:
  error
| "input" IDENT ":" type
    {
      InputDecl input;
      input.name = $2;
      input.range = rangeOf(driver, @2);
      input.type = std::move($4);
      driver.currentModel->inputs.push_back(std::move(input));
    }
| "layer" IDENT "=" call
    {
      LayerDecl layer;
      layer.name = $2;
      layer.range = rangeOf(driver, @2);
      layer.call = std::move($4);
      driver.currentModel->layers.push_back(std::move(layer));
    }
| "layer" IDENT "=" "repeat" "(" expr ")" call
    {
      LayerDecl layer;
      layer.name = $2;
      layer.range = rangeOf(driver, @2);
      layer.repeatCount = std::move($6);
      layer.call = std::move($8);
      driver.currentModel->layers.push_back(std::move(layer));
    }
| "forward" "{" assignments return_opt "}"
    {
      ModelDecl &m = *driver.currentModel;
      if (m.hasForward)
        driver.diagnostics.error(rangeOf(driver, @1),
                                 std::string(m.isBlock ? "block '" : "model '") +
                                     m.name + "' has a second forward section");
      m.hasForward = true;
      m.forwardRange = rangeOf(driver, @1);
      m.forward = std::move($3);
      m.returns = std::move($4);
      m.returnRange = rangeOf(driver, @4);
    }
| "loss" "=" expr
    {
      ModelDecl &m = *driver.currentModel;
      if (m.loss)
        driver.diagnostics.error(rangeOf(driver, @1),
                                 std::string(m.isBlock ? "block '" : "model '") +
                                     m.name + "' has a second loss");
      m.loss = std::move($3);
      m.lossRange = rangeOf(driver, @1);
    }
;

return_opt:
  %empty               { }
| "return" exprs       { $$ = std::move($2); }
;

type:
  IDENT "[" exprs "]"
    { $$.name = $1; $$.range = rangeOf(driver, @$); $$.bracketed = true;
      $$.args = std::move($3); }
| IDENT "(" exprs ")"
    { $$.name = $1; $$.range = rangeOf(driver, @$); $$.args = std::move($3); }
| IDENT
    { $$.name = $1; $$.range = rangeOf(driver, @$); $$.bare = true; }
;

/*===------------------------------------------------------------------===*/
/* Training                                                               */
/*===------------------------------------------------------------------===*/

train:
  "train" IDENT "{" assignments "}"
    {
      auto train = std::make_unique<TrainDecl>();
      train->modelName = $2;
      train->range = rangeOf(driver, @2);
      train->settings = std::move($4);
      // An imported file lends its models and blocks; the importing file
      // says how to train.
      if (!driver.imported)
        driver.module.trains.push_back(std::move(train));
    }
;

assignments:
  %empty                   { }
| assignments assignment   { $$ = std::move($1); $$.push_back(std::move($2)); }
| assignments error        { $$ = std::move($1); }
;

assignment:
  targets "=" expr
    {
      $$.name = $1.front().name;
      $$.range = $1.front().range;
      $$.more.assign($1.begin() + 1, $1.end());
      $$.value = std::move($3);
    }
;

targets:
  IDENT                { $$.push_back({$1, rangeOf(driver, @1)}); }
| targets "," IDENT    { $$ = std::move($1); $$.push_back({$3, rangeOf(driver, @3)}); }
;

/*===------------------------------------------------------------------===*/
/* Expressions                                                            */
/*===------------------------------------------------------------------===*/

expr:
  primary              { $$ = std::move($1); }
| expr "+" expr        { $$ = std::make_unique<BinaryExpr>(rangeOf(driver, @$), '+', std::move($1), std::move($3)); CHECK_DEPTH($$, @$); }
| expr "-" expr        { $$ = std::make_unique<BinaryExpr>(rangeOf(driver, @$), '-', std::move($1), std::move($3)); CHECK_DEPTH($$, @$); }
| expr "*" expr        { $$ = std::make_unique<BinaryExpr>(rangeOf(driver, @$), '*', std::move($1), std::move($3)); CHECK_DEPTH($$, @$); }
| expr "/" expr        { $$ = std::make_unique<BinaryExpr>(rangeOf(driver, @$), '/', std::move($1), std::move($3)); CHECK_DEPTH($$, @$); }
| "-" expr %prec NEG   { $$ = std::make_unique<NegateExpr>(rangeOf(driver, @$), std::move($2)); CHECK_DEPTH($$, @$); }
;

primary:
  INTEGER              { $$ = std::make_unique<NumberExpr>(rangeOf(driver, @$), std::strtod($1.c_str(), nullptr), true, $1); }
| REAL                 { $$ = std::make_unique<NumberExpr>(rangeOf(driver, @$), std::strtod($1.c_str(), nullptr), false, $1); }
| STRING               { $$ = std::make_unique<StringExpr>(rangeOf(driver, @$), $1); }
| IDENT                { $$ = std::make_unique<IdentExpr>(rangeOf(driver, @$), $1); }
| call                 { $$ = std::move($1); }
| "[" exprs_opt "]"    { $$ = std::make_unique<ListExpr>(rangeOf(driver, @$), std::move($2)); CHECK_DEPTH($$, @$); }
| "{" fields_opt "}"   { $$ = std::make_unique<RecordExpr>(rangeOf(driver, @$), std::move($2)); CHECK_DEPTH($$, @$); }
| "(" expr ")"         { $$ = std::move($2); }
;

call:
  IDENT "(" args_opt ")"
    { $$ = std::make_unique<CallExpr>(rangeOf(driver, @$), $1, rangeOf(driver, @1), std::move($3)); CHECK_DEPTH($$, @$); }
;

args_opt:
  %empty               { }
| args                 { $$ = std::move($1); }
;

args:
  arg                  { $$.push_back(std::move($1)); }
| args "," arg         { $$ = std::move($1); $$.push_back(std::move($3)); }
;

arg:
  expr                 { $$.value = std::move($1); }
| IDENT ":" expr       { $$.keyword = $1; $$.keywordRange = rangeOf(driver, @1); $$.value = std::move($3); }
;

fields_opt:
  %empty               { }
| fields               { $$ = std::move($1); }
;

fields:
  field                { $$.push_back(std::move($1)); }
| fields "," field     { $$ = std::move($1); $$.push_back(std::move($3)); }
;

field:
  IDENT ":" expr       { $$.keyword = $1; $$.keywordRange = rangeOf(driver, @1); $$.value = std::move($3); }
;

exprs_opt:
  %empty               { }
| exprs                { $$ = std::move($1); }
;

exprs:
  expr                 { $$.push_back(std::move($1)); }
| exprs "," expr       { $$ = std::move($1); $$.push_back(std::move($3)); }
;

%%

void weft::Parser::error(const location_type &loc, const std::string &message) {
  driver.diagnostics.error(rangeOf(driver, loc), message);
}
